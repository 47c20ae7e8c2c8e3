"""What happens to deliveries after the fan-out: the 08:00 release of held ones, refunds of
suppressed and failed ones, the recipient's read, opt-out and click, and the erasure of
recipients' addresses (an erased account, the retention period).

Refunds (`deliveries_refund`). Suppressed and failed deliveries are refunded in one ledger
transaction per campaign per batch, in the same database transaction that sets
`Delivery.refunded`: a committed refund and its flags go together, so a retry finds nothing
left to refund. The idempotency key is "messaging:refund:<campaign id>:<sha256 of the sorted
delivery ids>[:40]", so the same batch can never be posted twice.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, Value, When

from dangol.accounts.models import User
from dangol.core import clock
from dangol.ledger import catalogue
from dangol.ledger.services import ledger_transfer
from dangol.messaging import rules
from dangol.messaging.audience import consent_stands
from dangol.messaging.credit import REFUND_KIND, message_credit_account
from dangol.messaging.informational import delivery_notice_id
from dangol.messaging.models import Campaign, Channel, Delivery, SuppressedReason
from dangol.notices.models import Notice
from dangol.places.models import Market, Store
from dangol.regulars.rules import is_night_kst
from dangol.regulars.services import consent_withdraw

RELEASE_BATCH = 5000
REFUND_BATCH = 5000


# --- release and refunds ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseResult:
    released: int
    suppressed: int
    still_held: int


def deliveries_release(
    *, at: dt.datetime | None = None, batch: int = RELEASE_BATCH
) -> ReleaseResult:
    """Release held deliveries whose `release_at` has come, in batches of `batch` rows.

    Consent is re-checked in SQL at `at`: a withdrawn one makes the row suppressed
    (reason "quiet_hours_withdrawn") and refunded; the others become visible (in-app) or queued
    (external channels). If `at` is itself at night, rows without a standing night opt-in
    stay held until the next 08:00 KST. On PostgreSQL each batch is claimed with
    FOR UPDATE SKIP LOCKED, so two runners never take the same rows.
    """
    at = at or clock.now()
    released = suppressed = still_held = 0
    night = is_night_kst(at)
    while True:
        with transaction.atomic():
            claim = Delivery.objects.filter(
                status=Delivery.Status.HELD, release_at__lte=at
            ).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                claim = claim.select_for_update(skip_locked=True, of=("self",))
            ids = list(claim.values_list("pk", flat=True)[:batch])
            if not ids:
                break
            rows = Delivery.objects.filter(pk__in=ids)
            withdrawn = list(rows.exclude(consent_stands(at=at)).values_list("pk", flat=True))
            if withdrawn:
                Delivery.objects.filter(pk__in=withdrawn).update(
                    status=Delivery.Status.SUPPRESSED,
                    suppressed_reason=SuppressedReason.QUIET_HOURS_WITHDRAWN, updated_at=at,
                )
                deliveries_refund(delivery_ids=withdrawn)
            suppressed += len(withdrawn)
            if night:
                still_held += Delivery.objects.filter(
                    pk__in=ids, status=Delivery.Status.HELD
                ).exclude(consent_stands(at=at, night=True)).update(
                    release_at=rules.release_at(at), updated_at=at
                )
            released += Delivery.objects.filter(
                pk__in=ids, status=Delivery.Status.HELD, release_at__lte=at
            ).update(
                status=Case(
                    When(channel=Channel.IN_APP, then=Value(Delivery.Status.VISIBLE)),
                    default=Value(Delivery.Status.QUEUED),
                ),
                updated_at=at,
            )
        if len(ids) < batch:
            break
    return ReleaseResult(released=released, suppressed=suppressed, still_held=still_held)


def _refund_key(campaign_id: int, ids: list[int]) -> str:
    digest = hashlib.sha256(",".join(str(pk) for pk in sorted(ids)).encode()).hexdigest()
    return f"messaging:refund:{campaign_id}:{digest[:40]}"


@transaction.atomic
def _refund_batch(delivery_ids: list[int]) -> int:
    rows = list(
        Delivery.objects.select_for_update()
        .filter(
            pk__in=delivery_ids, refunded=False,
            status__in=[Delivery.Status.SUPPRESSED, Delivery.Status.FAILED],
        )
        .order_by("pk")
        .values_list("pk", "campaign_id", "price")
    )
    if not rows:
        return 0
    by_campaign: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, campaign_id, price in rows:
        by_campaign[campaign_id].append((pk, price))
    senders = {
        pk: (store_id, market_id)
        for pk, store_id, market_id in Campaign.objects.filter(pk__in=by_campaign).values_list(
            "pk", "store_id", "market_id"
        )
    }
    usage = catalogue.message_usage_account()
    total = 0
    for campaign_id in sorted(by_campaign):
        items = by_campaign[campaign_id]
        amount = sum(price for _pk, price in items)
        store_id, market_id = senders[campaign_id]
        if amount <= 0 or (store_id is None and market_id is None):
            continue
        credit = message_credit_account(
            store=Store(pk=store_id) if store_id else None,
            market=Market(pk=market_id) if market_id else None,
        )
        ledger_transfer(
            idempotency_key=_refund_key(campaign_id, [pk for pk, _price in items]),
            kind=REFUND_KIND, source=usage, destination=credit, amount=amount,
            description=f"메시지 환불 {campaign_id} ({len(items)}건)",
            metadata={"campaign": campaign_id, "deliveries": len(items)},
        )
        total += amount
    Delivery.objects.filter(pk__in=[pk for pk, _c, _p in rows]).update(
        refunded=True, updated_at=clock.now()
    )
    return total


def deliveries_refund(*, delivery_ids: list[int]) -> int:
    """Refund the suppressed and failed deliveries among `delivery_ids` not yet refunded;
    return the won refunded. One ledger transaction (message_usage → the sender's credit)
    per campaign per batch of up to 5,000 rows, with `Delivery.refunded` set in the same
    database transaction; safe to call again (already refunded rows are skipped)."""
    ids = sorted(set(delivery_ids))
    total = 0
    for start in range(0, len(ids), REFUND_BATCH):
        total += _refund_batch(ids[start:start + REFUND_BATCH])
    return total


def delivery_refund(*, deliveries: list[Delivery]) -> int:
    """Refund the given deliveries (see `deliveries_refund`)."""
    return deliveries_refund(delivery_ids=[delivery.pk for delivery in deliveries])


# --- customer actions -----------------------------------------------------------------------


@transaction.atomic
def delivery_read(*, delivery: Delivery, at: dt.datetime | None = None) -> Delivery:
    """Record that the customer opened the message (the first read time is kept) and, when
    it carries an informational notice, mark the notice read too; return the delivery."""
    at = at or clock.now()
    Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(read_at=at, updated_at=at)
    delivery.refresh_from_db(fields=["read_at"])
    notice_id = delivery_notice_id(delivery)
    if notice_id is not None:
        Notice.objects.filter(pk=notice_id, read_at__isnull=True).update(read_at=at)
    return delivery


@transaction.atomic
def delivery_opt_out(*, delivery: Delivery) -> Delivery:
    """Opt out from the sender of an ad `delivery` (its per-delivery link, no sign-in):
    withdraw the customer's ad consent to that sender at once and record on the delivery
    when (the first time). Return the delivery."""
    campaign = delivery.campaign
    if campaign.kind != Campaign.Kind.AD or delivery.customer is None:
        raise ValueError("only an ad delivery to a customer carries an opt-out")
    consent_withdraw(customer=delivery.customer, store=campaign.store, market=campaign.market)
    at = clock.now()
    Delivery.objects.filter(pk=delivery.pk, opted_out_at__isnull=True).update(
        opted_out_at=at, updated_at=at
    )
    delivery.refresh_from_db(fields=["opted_out_at"])
    return delivery


def delivery_click(*, delivery: Delivery, at: dt.datetime | None = None) -> Delivery:
    """Record the first click on the message's link (and that it was read); return it."""
    at = at or clock.now()
    Delivery.objects.filter(pk=delivery.pk, clicked_at__isnull=True).update(
        clicked_at=at, updated_at=at
    )
    Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(read_at=at)
    delivery.refresh_from_db(fields=["read_at", "clicked_at"])
    return delivery


# --- erasure of recipients' addresses ---------------------------------------------------------

# Rows no one will send any more: their address is needed by nothing.
FINISHED = (
    Delivery.Status.VISIBLE, Delivery.Status.SENT, Delivery.Status.FAILED,
    Delivery.Status.SUPPRESSED,
)
PENDING = (Delivery.Status.HELD, Delivery.Status.QUEUED)


def deliveries_recipient_erase(*, customer: User, addresses: list[str]) -> int:
    """Erase the recipient from the deliveries to `customer` (an account being erased) and
    to any of `addresses` (their number and e-mail, for rows sent before they signed up);
    return how many rows changed.

    Rows still waiting (held for 08:00, queued) are suppressed ("recipient_erased") and
    refunded to their sender; every row's address and provider error are blanked. The rows
    stay, tied to the pseudonymised account, so the campaigns' figures keep their counts.
    """
    wanted = [address for address in addresses if address]
    rows = Delivery.objects.filter(
        Q(customer=customer) | Q(customer__isnull=True, address__in=wanted)
    )
    now = clock.now()
    with transaction.atomic():
        pending = list(rows.filter(status__in=PENDING).values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=pending).update(
            status=Delivery.Status.SUPPRESSED, suppressed_reason=SuppressedReason.RECIPIENT_ERASED,
            claimed_until=None, updated_at=now,
        )
        changed = rows.exclude(address="", error="").update(address="", error="", updated_at=now)
    deliveries_refund(delivery_ids=pending)
    return changed


def deliveries_addresses_expire(*, older_than: dt.timedelta | None = None) -> int:
    """Blank the recipient's address (number, e-mail) and provider error of finished
    deliveries created more than `older_than` ago (default
    settings.DANGOL_RETENTION_DELIVERY_ADDRESS_DAYS days); return how many rows changed.

    The rows themselves stay: campaign figures count them (`selectors.campaign_stats`
    reads status, read, click, opt-out and refund, never the address).
    """
    if older_than is None:
        older_than = dt.timedelta(days=settings.DANGOL_RETENTION_DELIVERY_ADDRESS_DAYS)
    cutoff = clock.now() - older_than
    return (
        Delivery.objects.filter(created_at__lt=cutoff, status__in=FINISHED)
        .exclude(address="", error="")
        .update(address="", error="", updated_at=clock.now())
    )
