"""Background work on vouchers (idempotent, safe to rerun)."""

from huey import crontab

from dangol.core.queue import db_periodic_task
from dangol.vouchers import checkout, services, validity


# Huey's crontab runs in UTC: 01:30 UTC is 10:30 KST, a daytime hour for a notice.
@db_periodic_task(crontab(hour="1", minute="30"))
def voucher_expiry_notices() -> int:
    """Notify holders of vouchers that expire within 30 days (once per voucher)."""
    return validity.vouchers_notify_expiring()


@db_periodic_task(crontab(minute="2-59/5"))
def voucher_checkouts_finish() -> int:
    """Issue the vouchers of window checkouts whose payment was settled after the buyer
    left (a minute or two after the payments sweeper)."""
    return checkout.voucher_checkouts_finish()


@db_periodic_task(crontab(minute="3-59/5"))
def voucher_refunds_finish() -> int:
    """Pay or roll back refunds left booked by an unanswered provider, once the payments
    sweeper has settled them."""
    return services.voucher_refunds_finish()
