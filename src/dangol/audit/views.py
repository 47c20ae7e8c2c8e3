"""The audit log's page: the platform administrator reads every entry, an operator those of
the organisations they operate. Thin: authorise (dangol.access), select, render."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from dangol.access import checks
from dangol.access.pages import require_for_page
from dangol.access.policy import AUDIT_LOG
from dangol.audit.selectors import audit_entries

ENTRIES_PER_PAGE = 100


@require_safe
def log(request: HttpRequest) -> HttpResponse:
    """List the audit entries the visitor may read, newest first."""
    require_for_page(request, AUDIT_LOG)
    organisation_ids = (
        None if checks.is_platform_admin(request.user)
        else checks.organisations_operated_by(request.user).values_list("pk", flat=True)
    )
    page = Paginator(audit_entries(organisation_ids=organisation_ids), ENTRIES_PER_PAGE)
    return render(request, "audit/log.html", {"page": page.get_page(request.GET.get("page"))})
