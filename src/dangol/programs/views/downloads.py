"""The console's downloads: a program's applications and grants as .xlsx or .csv."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from dangol.access import policy
from dangol.access.checks import signed_in
from dangol.programs import exports
from dangol.programs.views.common import program_readable


def _download(content: bytes, *, filename: str, kind: str) -> HttpResponse:
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[kind]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return response


def _export(request: HttpRequest, pk: int, kind: str, *, name: str) -> HttpResponse:
    """Download the program's `name` export as .xlsx or .csv (Korean headers), audited."""
    program = program_readable(request, pk, policy.PROGRAM_EXPORT)
    if kind not in exports.FORMATS:
        raise Http404
    content = exports.program_export(
        program=program, export=name, fmt=kind, actor=signed_in(request.user)
    )
    return _download(content, filename=f"program-{program.pk}-{name}", kind=kind)


@require_safe
@login_required
def applications_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Download the program's applications as .xlsx or .csv (Korean headers)."""
    return _export(request, pk, kind, name="applications")


@require_safe
@login_required
def grants_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Download the program's grants as .xlsx or .csv (Korean headers)."""
    return _export(request, pk, kind, name="grants")
