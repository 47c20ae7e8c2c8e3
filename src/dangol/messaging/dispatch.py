"""Dispatch of external channels (SMS, LMS, e-mail): claim a batch of queued deliveries,
send each, record the result.

Claiming is one statement per step, so two workers never hold the same row:
`UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE OF d SKIP LOCKED]) RETURNING id`. On
PostgreSQL the inner SELECT skips rows another worker has locked; on SQLite the statement
runs under the database's single write lock. A claimed row is `sending` with a lease
(`claimed_until`); a row whose lease has run out (its worker was killed) is claimable again,
which is how a killed worker's batch is recovered. Every claim counts as an attempt.

Before claiming, each step re-checks in SQL what may have changed since the fan-out, with
regulars' consent rule judged at the claim instant (`audience.consent_sql`, the SQL twin of
the release's `consent_stands`, built on `regulars.rules.opt_in_stands_sql`; a withdrawal
committed before the claim statement counts even if stamped after the claim's clock reading):
- an ad whose recipient has withdrawn the sender's consent is suppressed
  (`withdrawn_before_dispatch`) and refunded;
- at night (21:00–08:00 KST) an ad whose recipient has no standing night opt-in (a retry
  that slipped past 21:00) goes back to `held` until 08:00 KST.

Sending: SMS/LMS through the site's SMS channel (dangol.core.sms) with "delivery-<id>" as the
idempotency key, e-mail through Django's mail backend with the ad opt-out link and
List-Unsubscribe headers. A row is recorded (sent, or queued for a retry, or failed) right
after its send, so a row already recorded as sent is never sent again; a crash between the
provider's answer and the record leaves the row `sending`, and the next claim repeats it
with the same key. NHN does not de-duplicate keys, so a row claimed before (attempts > 1) is
sent with `retry=True`: the channel looks the key up first and sends only if the provider
never got it.

Quota: the provider's "monthly quota used up" (-2052) pauses the SMS channel
(messaging.sms_provider): the row and the rest of its batch go back to `queued` with the
attempt taken back, and nothing is claimed until the channel is resumed.

Retries: a retryable error (timeout, 5xx, NHN's -9999/-2021) puts the row back to `queued` with
`next_attempt_at = now + base·2^(attempts−1)` (capped); after MAX attempts, or on an error
that cannot succeed (refused number, no address), the row is `failed` and refunded.

Rate limit: N sends per second per provider across all workers and processes, a fixed
one-second window of the shared rate limiter (core/ratelimit.py: Redis in production, a
file cache under the var folder on one machine).

Settings (getattr with these defaults):
  DANGOL_MESSAGING_LEASE_SECONDS = 120
  DANGOL_MESSAGING_MAX_ATTEMPTS = 5
  DANGOL_MESSAGING_BACKOFF_SECONDS = 30       (first retry; doubles, capped at 1 hour)
  DANGOL_MESSAGING_RATE_PER_SECOND = {"sms": 20, "email": 10}   (per provider)
  DANGOL_MESSAGING_BATCH_SIZE = 100
SMS and LMS go through the site's one SMS channel (dangol.core.sms, settings.DANGOL_SMS_BACKEND).
"""

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F

from dangol.core import clock, ratelimit
from dangol.core.sms import SmsResult, sms_channel
from dangol.messaging.audience import consent_sql
from dangol.messaging.models import Campaign, Channel, Delivery, SuppressedReason
from dangol.messaging.rules import release_at
from dangol.messaging.sms_provider import sms_channel_pause, sms_channel_paused
from dangol.regulars.rules import is_night_kst

logger = logging.getLogger("dangol.messaging")

EXTERNAL_CHANNELS = (Channel.SMS, Channel.LMS, Channel.EMAIL)
BACKOFF_CAP_SECONDS = 3600


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def lease_seconds() -> float:
    return float(_setting("DANGOL_MESSAGING_LEASE_SECONDS", 120))


def max_attempts() -> int:
    return int(_setting("DANGOL_MESSAGING_MAX_ATTEMPTS", 5))


def backoff(attempts: int) -> dt.timedelta:
    """Return the wait before the next try after `attempts` tries (1 → base, 2 → 2·base…)."""
    base = float(_setting("DANGOL_MESSAGING_BACKOFF_SECONDS", 30))
    seconds = min(base * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    return dt.timedelta(seconds=seconds)


def provider_key(channel: str) -> str:
    """Return the rate-limit bucket of a channel: SMS and LMS share the SMS provider."""
    return "email" if channel == Channel.EMAIL else "sms"


def rate_per_second(channel: str) -> int:
    rates = _setting("DANGOL_MESSAGING_RATE_PER_SECOND", {"sms": 20, "email": 10})
    return int(rates.get(provider_key(channel), 10))


# --- claiming --------------------------------------------------------------------------------


def _db_time(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _update_claimable(
    *, channel: str, now: dt.datetime, limit: int, condition: str, set_sql: str,
    set_params: list[Any], condition_params: list[Any],
) -> list[int]:
    """Run one `UPDATE … WHERE id IN (SELECT claimable rows AND condition LIMIT n) RETURNING id`
    and return the ids it changed."""
    delivery, campaign = Delivery._meta.db_table, Campaign._meta.db_table
    lock = " FOR UPDATE OF d SKIP LOCKED" if connection.vendor == "postgresql" else ""
    at = _db_time(now)
    # Table names and fixed fragments only; every value is a parameter.
    sql = (
        f"UPDATE {delivery} SET {set_sql}, updated_at = %s WHERE id IN ("  # noqa: S608
        f"SELECT d.id FROM {delivery} d JOIN {campaign} c ON c.id = d.campaign_id "
        "WHERE d.channel = %s AND d.release_at <= %s "
        "AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= %s) "
        "AND (d.status = %s OR (d.status = %s AND d.claimed_until <= %s)) "
        f"AND ({condition}) ORDER BY d.id LIMIT %s{lock}) RETURNING id"
    )
    params = [
        *set_params, at, channel, at, at,
        Delivery.Status.QUEUED, Delivery.Status.SENDING, at, *condition_params, limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def _refund(delivery_ids: list[int]) -> None:
    """Refund suppressed/failed deliveries through the fan-out's set-based refund."""
    if not delivery_ids:
        return
    from dangol.messaging.deliveries import deliveries_refund

    deliveries_refund(delivery_ids=delivery_ids)


def deliveries_claim(*, channel: str, limit: int, now: dt.datetime | None = None) -> list[int]:
    """Claim up to `limit` deliveries of `channel` that are due at `now` and return their ids
    (status `sending`, a lease until now + DANGOL_MESSAGING_LEASE_SECONDS, attempts + 1).

    Due: queued (or sending with an expired lease), release_at ≤ now, next_attempt_at ≤ now
    or null. Ads whose consent was withdrawn are suppressed and refunded instead; at night,
    ads without a standing night opt-in go back to held until 08:00 KST.
    """
    now = now or clock.now()
    ad = f"c.kind = '{Campaign.Kind.AD.value}'"
    with transaction.atomic():
        stands, stands_params = consent_sql(at=now, night=False)
        withdrawn = _update_claimable(
            channel=channel, now=now, limit=limit,
            condition=f"{ad} AND NOT {stands}", condition_params=stands_params,
            set_sql="status = %s, suppressed_reason = %s, claimed_until = NULL",
            set_params=[Delivery.Status.SUPPRESSED, SuppressedReason.WITHDRAWN_BEFORE_DISPATCH],
        )
        _refund(withdrawn)
    night = is_night_kst(now)
    if night:
        stands, stands_params = consent_sql(at=now, night=True)
        _update_claimable(
            channel=channel, now=now, limit=limit,
            condition=f"{ad} AND NOT {stands}", condition_params=stands_params,
            set_sql="status = %s, release_at = %s, claimed_until = NULL",
            set_params=[Delivery.Status.HELD, _db_time(release_at(now))],
        )
    stands, stands_params = consent_sql(at=now, night=night)
    with transaction.atomic():
        return _update_claimable(
            channel=channel, now=now, limit=limit,
            condition=f"c.kind <> '{Campaign.Kind.AD.value}' OR {stands}",
            condition_params=stands_params,
            set_sql="status = %s, claimed_until = %s, attempts = attempts + 1",
            set_params=[
                Delivery.Status.SENDING,
                _db_time(now + dt.timedelta(seconds=lease_seconds())),
            ],
        )


# --- rendering -------------------------------------------------------------------------------


def _sender(campaign: Campaign) -> tuple[str, str]:
    sender = campaign.store or campaign.market
    if sender is None:
        return "단골", ""
    return sender.name, getattr(sender, "phone", "") or ""


def delivery_text(delivery: Delivery) -> str:
    """Return the exact text the recipient gets (the fan-out's renderer: ads framed by the
    system with "(광고)", sender, contact and this delivery's opt-out link)."""
    from dangol.messaging.rendering import campaign_text

    return campaign_text(
        campaign=delivery.campaign, token=delivery.opt_out_token, channel=delivery.channel
    )


def delivery_subject(delivery: Delivery) -> str:
    campaign = delivery.campaign
    name, _contact = _sender(campaign)
    if campaign.kind == Campaign.Kind.AD:
        return f"(광고) {name}"
    return f"{name} 안내" if campaign.store_id or campaign.market_id else "단골 안내"


# --- rate limit ------------------------------------------------------------------------------


def rate_limit_wait(
    channel: str, *, now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Block until this send fits in the provider's per-second window: a one-second fixed
    window of the shared rate limiter (`core.ratelimit`), keyed by provider, paced on the
    real clock so that a frozen dangol clock never stalls a sender."""
    limit = rate_per_second(channel)
    key = f"messaging:{provider_key(channel)}"
    while True:
        moment = now()
        if ratelimit.hit(key, limit=limit, window_seconds=1, at=moment):
            return
        sleep(max(ratelimit.window_end(window_seconds=1, at=moment) - moment, 0.001))


# --- sending ---------------------------------------------------------------------------------


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    ids: list[int] = field(default_factory=list)


def _send_text(delivery: Delivery) -> SmsResult:
    if not delivery.address:
        return SmsResult(accepted=False, error="no phone number", retryable=False)
    # A row claimed before (attempts > 1) may have reached the provider without our
    # learning it (a timeout, a killed worker): the channel looks its key up before sending.
    return sms_channel().send(
        to=delivery.address, body=delivery_text(delivery), kind=delivery.channel,
        idempotency_key=f"delivery-{delivery.pk}", title=delivery_subject(delivery),
        ad=delivery.campaign.kind == Campaign.Kind.AD, retry=delivery.attempts > 1,
    )


def _send_email(delivery: Delivery, mail_connection: Any) -> SmsResult:
    if not delivery.address:
        return SmsResult(accepted=False, error="no e-mail address", retryable=False)
    headers = {"Message-ID": f"<delivery-{delivery.pk}@dangol>"}
    if delivery.campaign.kind == Campaign.Kind.AD:
        from dangol.messaging.rendering import opt_out_url

        url = opt_out_url(delivery.opt_out_token)
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMessage(
        subject=delivery_subject(delivery), body=delivery_text(delivery),
        to=[delivery.address], headers=headers, connection=mail_connection,
    )
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 - SMTP and socket errors: try again later
        error = f"{type(exc).__name__}: {exc}"[:300]
        return SmsResult(accepted=False, error=error, retryable=True)
    return SmsResult(accepted=True, provider_id=f"delivery-{delivery.pk}")


def _record(delivery: Delivery, result: SmsResult, *, now: dt.datetime) -> str:
    """Write one send's outcome; return "sent", "retried" or "failed". Only a row still
    `sending` is written (a row some other worker already recorded stays as it is)."""
    rows = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING)
    if result.accepted:
        rows.update(
            status=Delivery.Status.SENT, sent_at=now, provider_id=result.provider_id,
            error="", claimed_until=None, updated_at=now,
        )
        return "sent"
    if result.retryable and delivery.attempts < max_attempts():
        rows.update(
            status=Delivery.Status.QUEUED, error=result.error[:300], claimed_until=None,
            next_attempt_at=now + backoff(delivery.attempts), updated_at=now,
        )
        return "retried"
    rows.update(
        status=Delivery.Status.FAILED, error=result.error[:300], claimed_until=None,
        updated_at=now,
    )
    return "failed"


def _unclaim(ids: list[int]) -> int:
    """Put claimed rows still `sending` back to `queued`, taking back the attempt their
    claim counted; return how many."""
    return Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.QUEUED, claimed_until=None, attempts=F("attempts") - 1,
        updated_at=clock.now(),
    )


def deliveries_dispatch(
    *, channel: str, limit: int | None = None, now: dt.datetime | None = None
) -> DispatchReport:
    """Claim one batch of `channel` and send it; failed rows are refunded at the end."""
    if channel not in EXTERNAL_CHANNELS:
        raise ValueError(f"{channel!r} is not an external channel")
    limit = limit or int(_setting("DANGOL_MESSAGING_BATCH_SIZE", 100))
    if channel != Channel.EMAIL and sms_channel_paused(now=now):
        return DispatchReport()  # the month's SMS quota is used up: the rows wait
    ids = deliveries_claim(channel=channel, limit=limit, now=now)
    report = DispatchReport(claimed=len(ids), ids=ids)
    if not ids:
        return report
    rows = (
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING)
        .select_related("campaign", "campaign__store", "campaign__market")
        .order_by("pk")
    )
    mail_connection = get_connection() if channel == Channel.EMAIL else None
    failed: list[int] = []
    for delivery in rows:
        rate_limit_wait(channel)
        if channel == Channel.EMAIL:
            result = _send_email(delivery, mail_connection)
        else:
            result = _send_text(delivery)
        if result.quota_exhausted:
            # Not this row's fault: it and the rest of the batch wait, uncounted.
            sms_channel_pause(reason=result.error)
            _unclaim([row for row in ids if row >= delivery.pk])
            break
        outcome = _record(delivery, result, now=now or clock.now())
        if outcome == "failed":
            failed.append(delivery.pk)
            logger.warning("delivery %s failed: %s", delivery.pk, result.error)
        setattr(report, outcome, getattr(report, outcome) + 1)
    _refund(failed)
    return report


def deliveries_refund_pending(*, limit: int = 1000) -> int:
    """Refund failed or suppressed deliveries that were charged and not refunded yet (a
    worker that died between failing a row and refunding it). Returns how many."""
    ids = list(
        Delivery.objects.filter(
            status__in=[Delivery.Status.FAILED, Delivery.Status.SUPPRESSED],
            refunded=False, price__gt=0,
        ).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    _refund(ids)
    return len(ids)


def channels_waiting(*, now: dt.datetime | None = None) -> list[str]:
    """Return the external channels that have a delivery due (queued or with an expired
    lease). One query."""
    now = now or clock.now()
    from django.db.models import Q

    due = (
        Delivery.objects.filter(channel__in=EXTERNAL_CHANNELS, release_at__lte=now)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(
            Q(status=Delivery.Status.QUEUED)
            | Q(status=Delivery.Status.SENDING, claimed_until__lte=now)
        )
        .values_list("channel", flat=True)
        .distinct()
    )
    return sorted(set(due))


def deliveries_dispatch_until_idle(
    *, channel: str, limit: int | None = None, budget_seconds: float = 50.0
) -> int:
    """Dispatch batches of `channel` until none is due or the time budget is spent; return
    how many rows were claimed."""
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < budget_seconds:
        report = deliveries_dispatch(channel=channel, limit=limit)
        total += report.claimed
        if not report.claimed:
            break
    return total
