"""Background work on coupons: expire what has run out (idempotent, safe to rerun)."""

from huey import crontab

from dangol.core.queue import db_periodic_task
from dangol.coupons import services


@db_periodic_task(crontab(minute="5"))
def coupons_expire() -> int:
    """Mark issued coupons past their window as expired, freeing their counter codes."""
    return services.coupons_expire_due()
