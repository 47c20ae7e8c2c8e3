"""Background work of programs: returning the program's share of refunded hall vouchers."""

from huey import crontab

from dangol.core.queue import db_periodic_task
from dangol.programs.hall import hall_refunds_reconcile


@db_periodic_task(crontab(minute="*/10"))
def hall_refunds_reconcile_task() -> int:
    """Every 10 minutes: move the program's share of refunded hall vouchers back to its
    budget (once per voucher)."""
    return hall_refunds_reconcile()
