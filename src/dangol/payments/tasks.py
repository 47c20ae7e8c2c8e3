"""Background work on payments (idempotent, safe to rerun)."""

from datetime import timedelta

from django.conf import settings
from huey import crontab

from dangol.core.queue import db_periodic_task
from dangol.payments import sweeper


@db_periodic_task(crontab(minute="*/5"))
def payments_sweep() -> int:
    """Settle payments and operations left unanswered for PAYMENTS_SWEEP_AFTER_MINUTES by
    asking the provider what it holds."""
    return sweeper.payments_settle_pending(
        older_than=timedelta(minutes=settings.PAYMENTS_SWEEP_AFTER_MINUTES)
    )
