"""Background work of messaging: scheduled sends, quiet-hour releases and dispatch of
external channels. Each task loads rows by id or state and calls a service; safe to rerun."""

# --- dispatch of external channels (SMS, LMS, e-mail) ----------------------------------------
from huey import crontab  # noqa: E402

from dangol.core.queue import db_periodic_task, db_task  # noqa: E402


@db_task()
def deliveries_dispatch_task(channel: str) -> int:
    """Send the due deliveries of one external channel, batch after batch, for up to 50 s;
    return how many rows were claimed. Safe to run twice at once (claims are exclusive)."""
    from dangol.messaging.dispatch import deliveries_dispatch_until_idle

    return deliveries_dispatch_until_idle(channel=channel)


@db_periodic_task(crontab(minute="*"))
def deliveries_dispatch_due() -> list[str]:
    """Every minute: enqueue a dispatch task per external channel that has rows waiting, and
    refund failed or suppressed rows a dead worker left unrefunded."""
    from dangol.messaging.dispatch import channels_waiting, deliveries_refund_pending

    deliveries_refund_pending()
    channels = channels_waiting()
    for channel in channels:
        deliveries_dispatch_task(channel)
    return channels


# --- scheduled sends and quiet-hour releases (M1) ----------------------------------------------


@db_periodic_task(crontab(minute="*"))
def campaigns_send_due() -> int:
    """Every minute: send the scheduled campaigns whose time has come (idempotent: the send
    re-checks the campaign's status under its row lock)."""
    from dangol.messaging import campaigns

    return campaigns.campaigns_send_due()


@db_periodic_task(crontab(minute="*"))
def deliveries_release() -> int:
    """Every minute: release held deliveries whose 08:00 KST has come, re-checking consent
    (withdrawn → suppressed and refunded); return how many were released."""
    from dangol.messaging import deliveries

    return deliveries.deliveries_release().released


# --- the SMS provider: delivery reports and the 080 block list ---------------------------------


@db_periodic_task(crontab(minute="*/5"))
def sms_delivery_reports_poll() -> int:
    """Every 5 minutes: store the provider's delivery reports of recent SMS/LMS rows."""
    from dangol.messaging.sms_provider import delivery_reports_poll

    return delivery_reports_poll()


@db_periodic_task(crontab(minute="*/10"))
def sms_opt_outs_sync() -> tuple[int, int]:
    """Every 10 minutes: calls to the 080 opt-out number become consent withdrawals, and
    withdrawals made in dangol go to the 080 block list."""
    from dangol.messaging.sms_provider import opt_outs_sync

    return opt_outs_sync()


@db_periodic_task(crontab(minute="2-59/5"))
def message_credit_checkouts_finish() -> int:
    """Add the top-ups of window checkouts whose payment was settled after the buyer left
    (a minute or two after the payments sweeper)."""
    from dangol.messaging.credit import message_credit_checkouts_finish as finish

    return finish()
