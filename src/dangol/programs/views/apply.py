"""The merchant's page of programs: applying a store to a program."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dangol.access import policy
from dangol.access.pages import may_on_page, store_for_page
from dangol.core.errors import DangolError
from dangol.programs import services
from dangol.programs.errors import NotStoreOwner
from dangol.programs.exports import reason_texts
from dangol.programs.forms import ApplicationForm
from dangol.programs.models import Application, Program
from dangol.programs.views.common import user_of

# --- merchant -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest, pk: int, program_pk: int) -> HttpResponse:
    """The merchant's application: confirm the declared annual sales and submit. Eligible
    stores are approved at once and see the credit granted; the rest wait for review. Only
    an owner applies: staff see the page, and their submission is refused (403)."""
    store = store_for_page(request, pk, policy.PROGRAM_APPLICATION_VIEW)
    program = Program.objects.select_related("operator").filter(pk=program_pk).first()
    if program is None:
        raise Http404
    existing = Application.objects.filter(program=program, store=store).first()
    form = ApplicationForm(request.POST or None, limit=program.max_annual_sales)
    refused = request.method == "POST" and not may_on_page(
        request, policy.PROGRAM_APPLY, store=store
    )
    if refused:
        form.add_error(None, NotStoreOwner().message)
    elif request.method == "POST" and existing is None and form.is_valid():
        try:
            existing = services.application_submit(
                program=program, store=store, applicant=user_of(request),
                declared_annual_sales=form.cleaned_data["declared_annual_sales"],
            )
        except DangolError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("programs:apply", pk=store.pk, program_pk=program.pk)
    context: dict[str, Any] = {
        "store": store,
        "program": program,
        "benefits": list(program.benefits.all()),
        "form": form,
        "application": existing,
    }
    if existing is not None:
        context["reasons"] = reason_texts(existing.reasons)
        context["granted"] = list(existing.grants.select_related("benefit"))
    status = 400 if request.method == "POST" and existing is None else 200
    return render(request, "programs/apply.html", context, status=403 if refused else status)
