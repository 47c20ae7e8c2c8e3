"""Reads of the audit log."""

from collections.abc import Iterable

from django.db.models import QuerySet

from dangol.audit.models import AuditEntry


def audit_entries(*, organisation_ids: Iterable[int] | None) -> QuerySet[AuditEntry]:
    """Return the entries newest first: all of them when `organisation_ids` is None (the
    platform administrator), else those concerning one of those organisations."""
    entries = AuditEntry.objects.select_related("actor").order_by("-created_at", "-id")
    if organisation_ids is None:
        return entries
    return entries.filter(organisation_id__in=list(organisation_ids))
