"""Background housekeeping of core rows (idempotent, safe to rerun)."""

from huey import crontab

from dangol.core.idempotency import idempotent_requests_purge
from dangol.core.queue import db_periodic_task


@db_periodic_task(crontab(minute="17"))
def idempotent_requests_purge_task() -> int:
    """Delete stored API responses of idempotency keys older than 24 hours."""
    return idempotent_requests_purge()
