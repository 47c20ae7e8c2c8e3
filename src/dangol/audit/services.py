"""The one write of the audit log: `audit_record`, called by the service of each money action."""

from typing import Any

from dangol.accounts.models import User
from dangol.audit.context import current_client_address
from dangol.audit.models import AuditEntry


def audit_record(
    *, action: AuditEntry.Action, actor: User | None, subject: str, amount: int | None = None,
    organisation_id: int | None = None, details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry: `actor` took `action` on `subject` (e.g. "voucher:12").

    Call it inside the action's transaction, so the entry exists exactly when the action
    does. The client's address is the current request's; outside a request the entry's
    origin is the command line (a `dangol` command or a task).
    """
    address = current_client_address()
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        origin=AuditEntry.Origin.CLI if address is None else AuditEntry.Origin.WEB,
        client_address=address or "",
        action=action,
        subject=subject,
        amount=amount,
        organisation_id=organisation_id,
        details=details or {},
    )
