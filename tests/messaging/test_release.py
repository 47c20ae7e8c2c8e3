"""deliveries_release (08:00 KST) and refunds of suppressed and failed deliveries."""

import pytest

from dangol.core.clock import kst
from dangol.ledger.models import Transaction
from dangol.ledger.selectors import ledger_verify
from dangol.messaging.campaigns import campaign_create, campaign_send
from dangol.messaging.deliveries import deliveries_refund, deliveries_release
from dangol.messaging.models import Delivery
from dangol.messaging.selectors import inbox_for, message_credit_balance, unread_count
from dangol.regulars.services import consent_night_withdraw, consent_withdraw

pytestmark = pytest.mark.django_db

EVENING = kst(2026, 11, 21, 21, 30)
MORNING = kst(2026, 11, 22, 8, 0)


def _verify():
    report = ledger_verify()
    assert report.ok, report


def _night_campaign(store, channels=("in_app", "sms")):
    campaign = campaign_create(
        store=store, kind="ad", body="내일 아침 고등어 입고", audience="all",
        channels=list(channels), idempotency_key="night",
    )
    return campaign_send(campaign=campaign)


def test_held_rows_released_at_eight(store, consenting_regular, credited_store, frozen_clock):
    frozen_clock(EVENING)
    credited_store(1_000)
    night_ok, day_only = consenting_regular(night=True), consenting_regular()
    campaign = _night_campaign(store)
    assert campaign.cost == 130 and message_credit_balance(store=store) == 870
    assert list(inbox_for(user=night_ok)) and not list(inbox_for(user=day_only))
    frozen_clock(kst(2026, 11, 22, 7, 59))
    assert deliveries_release().released == 0
    frozen_clock(MORNING)
    result = deliveries_release()
    assert (result.released, result.suppressed, result.still_held) == (2, 0, 0)
    rows = {d.channel: d for d in Delivery.objects.filter(customer=day_only)}
    assert (rows["in_app"].status, rows["lms"].status) == ("visible", "queued")
    assert [d.campaign_id for d in inbox_for(user=day_only)] == [campaign.pk]
    assert unread_count(user=day_only) == 1
    assert deliveries_release().released == 0  # rerun: nothing left
    assert message_credit_balance(store=store) == 870
    _verify()


def test_withdrawal_between_hold_and_release_is_suppressed_and_refunded(
    store, consenting_regular, credited_store, frozen_clock
):
    frozen_clock(EVENING)
    credited_store(1_000)
    stays, leaves = consenting_regular(), consenting_regular()
    campaign = _night_campaign(store)
    assert campaign.cost == 130 and campaign.held_quiet_hours == 2
    frozen_clock(kst(2026, 11, 22, 6, 0))
    consent_withdraw(customer=leaves, store=store)
    frozen_clock(MORNING)
    result = deliveries_release()
    assert (result.released, result.suppressed) == (2, 2)
    gone = Delivery.objects.filter(customer=leaves)
    assert {(d.status, d.suppressed_reason, d.refunded) for d in gone} == {
        ("suppressed", "quiet_hours_withdrawn", True)
    }
    assert set(Delivery.objects.filter(customer=stays).values_list("status", flat=True)) == {
        "visible", "queued",
    }
    assert message_credit_balance(store=store) == 870 + 65
    refund = Transaction.objects.get(kind="message_refund")
    assert refund.idempotency_key.startswith(f"messaging:refund:{campaign.pk}:")
    assert deliveries_refund(delivery_ids=list(gone.values_list("pk", flat=True))) == 0
    assert message_credit_balance(store=store) == 935
    _verify()


def test_release_at_night_keeps_rows_without_night_consent(store, consenting_regular,
                                                           credited_store, frozen_clock):
    frozen_clock(EVENING)
    credited_store(1_000)
    person = consenting_regular()
    _night_campaign(store, channels=("in_app",))
    late = kst(2026, 11, 22, 21, 10)  # the release task was down all day
    frozen_clock(late)
    result = deliveries_release()
    assert (result.released, result.suppressed, result.still_held) == (0, 0, 1)
    row = Delivery.objects.get(customer=person)
    assert (row.status, row.release_at) == ("held", kst(2026, 11, 23, 8, 0))


def test_night_withdrawal_alone_does_not_suppress_at_eight(store, consenting_regular,
                                                           credited_store, frozen_clock):
    frozen_clock(kst(2026, 11, 21, 20, 0))
    credited_store(1_000)
    person = consenting_regular(night=True)
    frozen_clock(EVENING)
    consent_night_withdraw(customer=person, store=store)
    _night_campaign(store, channels=("in_app",))
    assert Delivery.objects.get(customer=person).status == "held"
    frozen_clock(MORNING)
    assert deliveries_release().released == 1


def test_release_in_small_batches(store, consenting_regular, credited_store, frozen_clock):
    frozen_clock(EVENING)
    credited_store(1_000)
    for _ in range(5):
        consenting_regular()
    _night_campaign(store, channels=("in_app",))
    frozen_clock(MORNING)
    assert deliveries_release(batch=2).released == 5
    assert not Delivery.objects.filter(status="held").exists()


def test_failed_deliveries_refunded_once_per_campaign(store, consenting_regular, credited_store,
                                                      frozen_clock):
    frozen_clock(kst(2026, 11, 21, 12, 0))
    credited_store(1_000)
    for _ in range(3):
        consenting_regular()
    campaign = _night_campaign(store, channels=("sms",))
    assert campaign.cost == 150
    ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids[:2]).update(status="failed", error="provider down")
    # Only failed/suppressed rows are refunded; the queued one is not.
    assert deliveries_refund(delivery_ids=ids) == 100
    assert deliveries_refund(delivery_ids=ids) == 0
    assert message_credit_balance(store=store) == 950
    assert list(Delivery.objects.order_by("pk").values_list("refunded", flat=True)) == [
        True, True, False,
    ]
    assert Transaction.objects.filter(kind="message_refund").count() == 1
    _verify()
