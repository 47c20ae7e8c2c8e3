"""The development outbox's housekeeping: what the demo's SMS and e-mail channels kept."""

import datetime as dt

from django.conf import settings

from dangol.core import clock
from dangol.core.models import OutboxMessage


def outbox_messages_purge(*, older_than: dt.timedelta | None = None) -> int:
    """Delete outbox messages (numbers, e-mail addresses, one-time codes) kept longer than
    `older_than` (default settings.DANGOL_RETENTION_OUTBOX_DAYS days); return how many went."""
    if older_than is None:
        older_than = dt.timedelta(days=settings.DANGOL_RETENTION_OUTBOX_DAYS)
    deleted, _ = OutboxMessage.objects.filter(created_at__lt=clock.now() - older_than).delete()
    return deleted
