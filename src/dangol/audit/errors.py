"""The audit log's domain errors."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError


class AuditEntryImmutable(DangolError):
    """An audit entry was to be changed or deleted: the log is append-only."""

    code = "audit_immutable"
    template = _("감사 기록은 바꾸거나 지울 수 없습니다.")
    status = 409
