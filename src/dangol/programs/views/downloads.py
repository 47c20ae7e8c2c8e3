"""The console's downloads: a program's applications and grants as .xlsx or .csv."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from dangol.access import policy
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


def _export(
    request: HttpRequest, pk: int, kind: str, *, rows: Any, headers: Any, title: Any, name: str
) -> HttpResponse:
    """Download rows of the program as .xlsx or .csv (Korean headers)."""
    program = program_readable(request, pk, policy.PROGRAM_EXPORT)
    if kind not in ("csv", "xlsx"):
        raise Http404
    data = rows(program=program)
    content = exports.to_xlsx(headers, data, title=title) if kind == "xlsx" \
        else exports.to_csv(headers, data)
    return _download(content, filename=f"program-{program.pk}-{name}", kind=kind)


@require_safe
@login_required
def applications_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Download the program's applications as .xlsx or .csv (Korean headers)."""
    return _export(request, pk, kind, rows=exports.application_rows,
                   headers=exports.APPLICATION_HEADERS, title=_("신청"), name="applications")


@require_safe
@login_required
def grants_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Download the program's grants as .xlsx or .csv (Korean headers)."""
    return _export(request, pk, kind, rows=exports.grant_rows,
                   headers=exports.GRANT_HEADERS, title=_("지급"), name="grants")
