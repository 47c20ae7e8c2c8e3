"""The SMS provider's side of messaging: the channel paused when the month's quota ran out,
delivery reports polled and stored per delivery, and the provider's 080 block list kept in
step with consent (DESIGN.md §6; docs/architecture.md, messaging).

- Quota: NHN answers -2052 when the month's sending quota is used up. Dispatch then pauses
  the SMS channel (`SmsChannelState.paused_at`): the row it was sending and the rest of its
  batch go back to `queued` without counting the attempt, nothing is claimed while paused,
  and the operator is told (an error in the log and an e-mail to settings.ADMINS). The
  pause ends when the operator resumes the channel (the admin's action) or, by itself, in
  the next calendar month (KST), when NHN's quota starts again.
- Reports: `delivery_reports_poll` asks the provider for the delivery status of SMS/LMS
  rows sent in the last three days that have none yet ("delivered"/"failed" + code).
- 080: `opt_outs_sync` reads the numbers that called the operator's free 080 number since
  the last read and withdraws every standing ad consent of the customer with that number
  (regulars' `consents_withdraw_all`, method "080", at the time of the call); then it puts
  on the block list the numbers of customers who withdrew in dangol since the last push and
  no longer let any sender send them ads (the 080 number names no sender: blocking one who
  still wants another store's ads would stop those too).
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction

from dangol.core import clock
from dangol.core.clock import KST
from dangol.core.phone import InvalidPhone, mobile_normalize
from dangol.core.sms import sms_channel
from dangol.messaging.models import Channel, Delivery, SmsChannelState
from dangol.regulars.models import Consent, ConsentEvent
from dangol.regulars.selectors import ad_consent_stands_anywhere
from dangol.regulars.services import consents_withdraw_all

logger = logging.getLogger("dangol.messaging")

REPORT_WINDOW = dt.timedelta(days=3)
EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _state(*, lock: bool = False) -> SmsChannelState:
    rows = SmsChannelState.objects.select_for_update() if lock else SmsChannelState.objects
    state, _ = rows.get_or_create(pk=1)
    return state


# --- the monthly quota ------------------------------------------------------------------------


def sms_channel_paused(*, now: dt.datetime | None = None) -> bool:
    """Return whether SMS/LMS sending is paused; a pause from an earlier month (KST) ends by
    itself, as the provider's quota starts again."""
    state = SmsChannelState.objects.filter(pk=1, paused_at__isnull=False).first()
    if state is None or state.paused_at is None:
        return False
    now = now or clock.now()
    paused, today = state.paused_at.astimezone(KST), now.astimezone(KST)
    if (paused.year, paused.month) < (today.year, today.month):
        sms_channel_resume()
        return False
    return True


def sms_channel_pause(*, reason: str) -> None:
    """Pause SMS/LMS sending and tell the operator (once per pause)."""
    with transaction.atomic():
        state = _state(lock=True)
        if state.paused_at is not None:
            return
        state.paused_at, state.paused_reason = clock.now(), reason[:300]
        state.save(update_fields=["paused_at", "paused_reason", "updated_at"])
    message = (
        "The SMS provider refused a message because the month's sending quota is used up "
        f"({reason}). SMS/LMS deliveries wait; raise the quota at NHN Cloud, then resume the "
        "channel in the admin (Messaging › SMS channel state)."
    )
    logger.error("SMS channel paused: %s", reason)
    mail_admins("SMS channel paused: monthly quota used up", message, fail_silently=True)


def sms_channel_resume() -> None:
    """Let SMS/LMS sending go on (the operator raised the quota, or a new month began)."""
    SmsChannelState.objects.filter(pk=1).update(paused_at=None, paused_reason="",
                                                updated_at=clock.now())


# --- delivery reports -------------------------------------------------------------------------


def delivery_reports_poll(*, limit: int = 500, now: dt.datetime | None = None) -> int:
    """Ask the provider for the delivery status of sent SMS/LMS rows without one (sent in
    the last three days); store each final one; return how many were stored."""
    now = now or clock.now()
    rows = list(
        Delivery.objects.filter(
            channel__in=[Channel.SMS, Channel.LMS], status=Delivery.Status.SENT,
            report_status="", sent_at__gte=now - REPORT_WINDOW,
        ).order_by("sent_at", "pk").only("pk", "channel")[:limit]
    )
    if not rows:
        return 0
    channel = sms_channel()
    stored = 0
    for row in rows:
        report = channel.report(idempotency_key=f"delivery-{row.pk}", kind=row.channel)
        if report is None or report.status == "pending":
            continue
        stored += Delivery.objects.filter(pk=row.pk, report_status="").update(
            report_status=report.status, report_code=report.code, reported_at=now,
            updated_at=now,
        )
    return stored


# --- the 080 block list -----------------------------------------------------------------------


def opt_outs_pull() -> int:
    """Turn the 080 block list's new entries into consent withdrawals; return how many
    customers lost at least one standing consent."""
    from dangol.accounts.models import User

    state = _state()
    since = state.opt_outs_read_until or EPOCH
    entries = sms_channel().opt_outs_since(since)
    withdrawn = 0
    for entry in entries:
        try:
            phone = mobile_normalize(entry.phone)
        except InvalidPhone:
            continue
        for customer in User.objects.filter(phone=phone):
            if consents_withdraw_all(customer=customer, method=Consent.Method.PHONE_080,
                                     at=entry.at):
                withdrawn += 1
    if entries:
        last = max(entry.at for entry in entries)
        SmsChannelState.objects.filter(pk=1).update(opt_outs_read_until=last,
                                                    updated_at=clock.now())
    return withdrawn


def opt_outs_push(*, now: dt.datetime | None = None) -> int:
    """Put on the 080 block list the numbers of customers who withdrew in dangol since the
    last push and let no sender send them ads any more; return how many numbers."""
    now = now or clock.now()
    state = _state()
    since = state.opt_outs_pushed_until or EPOCH
    events = (
        ConsentEvent.objects.filter(kind=ConsentEvent.Kind.WITHDRAWN, at__gt=since, at__lte=now)
        .exclude(method=Consent.Method.PHONE_080)
        .select_related("consent__customer")
    )
    customers = {event.consent.customer for event in events}
    phones = sorted(
        customer.phone for customer in customers
        if customer.phone and not ad_consent_stands_anywhere(customer=customer)
    )
    if phones and not sms_channel().opt_outs_add(phones):
        logger.warning("the 080 block list did not take %s numbers; will retry", len(phones))
        return 0
    SmsChannelState.objects.filter(pk=1).update(opt_outs_pushed_until=now, updated_at=now)
    return len(phones)


def opt_outs_sync() -> tuple[int, int]:
    """Pull the 080 block list into consent, then push dangol's withdrawals to it; return
    (customers withdrawn, numbers pushed). Does nothing without a 080 number."""
    if not str(getattr(settings, "DANGOL_SMS_OPT_OUT_080", "") or "").strip():
        return (0, 0)
    return opt_outs_pull(), opt_outs_push()
