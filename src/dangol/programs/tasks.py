"""Background work of programs: returning the program's share of refunded hall vouchers,
finishing hall window checkouts settled after the buyer left, and ending the settlement
benefits of programs whose period is over."""

from huey import crontab

from dangol.core.queue import db_periodic_task
from dangol.programs.grant_endings import programs_benefits_end_due
from dangol.programs.hall import hall_refunds_reconcile
from dangol.programs.hall_checkout import hall_checkouts_finish


@db_periodic_task(crontab(minute="*/10"))
def hall_refunds_reconcile_task() -> int:
    """Every 10 minutes: move the program's share of refunded hall vouchers back to its
    budget (once per voucher)."""
    return hall_refunds_reconcile()


# Huey's crontab runs in UTC: 15:10 UTC is 00:10 KST, just after a program's last day.
@db_periodic_task(crontab(hour="15", minute="10"))
def program_benefits_end_due() -> int:
    """Every night after midnight (KST): end the settlement benefits of the programs whose
    period is over, putting the stores' settlement terms back; return how many grants ended."""
    return programs_benefits_end_due()


@db_periodic_task(crontab(minute="2-59/5"))
def hall_checkouts_finish_task() -> int:
    """Issue the vouchers of hall window checkouts whose payment was settled after the buyer
    left (a minute or two after the payments sweeper)."""
    return hall_checkouts_finish()
