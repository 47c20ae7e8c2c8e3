"""Message credit (메시지 충전금): charge, refusal when short, top-up, grant, concurrency."""

import pytest

from dangol.core.clock import kst
from dangol.ledger.models import Account, Transaction
from dangol.ledger.selectors import ledger_verify
from dangol.messaging.campaigns import campaign_check, campaign_create, campaign_send
from dangol.messaging.credit import (
    message_credit_account,
    message_credit_grant,
    message_credit_top_up,
)
from dangol.messaging.errors import CampaignInvalid, MessageCreditShort, TopUpFailed
from dangol.messaging.models import Campaign, Delivery, MessagePrice
from dangol.messaging.selectors import message_credit_balance
from tests.concurrency import run_concurrently
from tests.messaging.conftest import external_account

NOON = kst(2026, 11, 21, 12, 0)
APPROVED, DECLINED = "4000-0000-0000-0002", "4000-0000-0000-0069"


def _ad(store, key, channels=("in_app",)):
    return campaign_create(
        store=store, kind="ad", body="고등어 30% 할인", audience="all", channels=list(channels),
        idempotency_key=key,
    )


def _verify():
    report = ledger_verify()
    assert report.ok, report


@pytest.mark.django_db
def test_default_prices_are_seeded():
    assert dict(MessagePrice.objects.values_list("channel", "price")) == {
        "in_app": 15, "sms": 20, "lms": 50, "email": 0,
    }


@pytest.mark.django_db
def test_operator_price_is_used(store, consenting_regular, credited_store, frozen_clock):
    frozen_clock(NOON)
    MessagePrice.objects.filter(channel="in_app").update(price=7)
    credited_store(100)
    consenting_regular(), consenting_regular()
    campaign = campaign_send(campaign=_ad(store, "p"))
    assert campaign.cost == 14
    assert set(Delivery.objects.values_list("price", flat=True)) == {7}
    assert message_credit_balance(store=store) == 86


@pytest.mark.django_db
def test_cost_above_balance_is_refused_before_anything_is_inserted(
    store, consenting_regular, credited_store, frozen_clock
):
    frozen_clock(NOON)
    credited_store(29)
    consenting_regular(), consenting_regular()
    campaign = _ad(store, "short")
    with pytest.raises(MessageCreditShort) as error:
        campaign_send(campaign=campaign)
    assert "₩30" in error.value.message and "₩29" in error.value.message
    assert not Delivery.objects.exists()
    campaign.refresh_from_db()
    assert (campaign.status, campaign.cost, campaign.charge) == ("scheduled", 0, None)
    assert message_credit_balance(store=store) == 29
    check = campaign_check(
        sender_store=store, kind="ad", audience="all", channels=["in_app"], at=NOON
    )
    assert (check.cost, check.balance) == (30, 29)
    assert check.problems == ["메시지 충전금이 부족합니다. 비용 ₩30, 잔액 ₩29"]
    credited_store(1)
    assert campaign_send(campaign=campaign).cost == 30
    assert message_credit_balance(store=store) == 0
    _verify()


@pytest.mark.django_db
def test_exact_balance_is_enough_and_charge_is_one_transaction(
    store, consenting_regular, credited_store, frozen_clock
):
    frozen_clock(NOON)
    credited_store(130)  # 2 × in-app ₩15 + 2 × LMS ₩50 (the rendered ad is over 90 bytes)
    consenting_regular(), consenting_regular()
    before = Transaction.objects.count()
    campaign = campaign_send(campaign=_ad(store, "exact", ("in_app", "sms")))
    assert campaign.cost == 130
    assert Transaction.objects.count() == before + 1
    assert campaign.charge.kind == "message_charge"
    legs = sorted(campaign.charge.entries.values_list("account__kind", "amount"))
    assert legs == [("message_credit", -130), ("message_usage", 130)]
    assert message_credit_balance(store=store) == 0
    _verify()


@pytest.mark.django_db
def test_unsent_campaign_with_no_credit_account_is_refused(store, consenting_regular,
                                                           frozen_clock):
    frozen_clock(NOON)
    consenting_regular()
    with pytest.raises(MessageCreditShort):
        campaign_send(campaign=_ad(store, "none"))
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_top_up_through_the_payment_provider(store):
    posting = message_credit_top_up(
        store=store, amount=30_000, card_number=APPROVED, idempotency_key="top-1"
    )
    again = message_credit_top_up(
        store=store, amount=30_000, card_number=APPROVED, idempotency_key="top-1"
    )
    assert again.pk == posting.pk
    assert message_credit_balance(store=store) == 30_000
    cash = Account.objects.get(owner_type="", kind=Account.Kind.CASH)
    assert cash.balance == -30_000
    with pytest.raises(TopUpFailed):
        message_credit_top_up(
            store=store, amount=10_000, card_number=DECLINED, idempotency_key="top-2"
        )
    with pytest.raises(CampaignInvalid):
        message_credit_top_up(
            store=store, amount=0, card_number=APPROVED, idempotency_key="top-3"
        )
    assert message_credit_balance(store=store) == 30_000
    _verify()


@pytest.mark.django_db
def test_grant_from_an_account_for_the_programs_issue(market):
    source = external_account()
    message_credit_grant(
        market=market, amount=300_000, from_account=source, idempotency_key="kakao-1"
    )
    message_credit_grant(
        market=market, amount=300_000, from_account=source, idempotency_key="kakao-1"
    )
    assert message_credit_balance(market=market) == 300_000
    account = message_credit_account(market=market)
    assert (account.owner_type, account.owner_id, account.non_negative) == (
        "market", market.pk, True,
    )
    _verify()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sends_against_credit_for_one(store, consenting_regular, credited_store,
                                                     frozen_clock):
    frozen_clock(NOON)
    for _ in range(4):
        consenting_regular()
    credited_store(4 * 15 + 10)  # covers one campaign of four in-app rows, not two
    first, second = _ad(store, "race-1"), _ad(store, "race-2")
    campaigns = [first, second]

    results, refusals = run_concurrently(
        lambda index: campaign_send(campaign=campaigns[index]), threads=2
    )
    assert len(results) == 1
    assert len(refusals) == 1 and isinstance(refusals[0], MessageCreditShort)
    assert message_credit_balance(store=store) == 10
    sent = Campaign.objects.get(status="sent")
    assert Delivery.objects.count() == 4
    assert set(Delivery.objects.values_list("campaign_id", flat=True)) == {sent.pk}
    assert Account.objects.filter(balance__lt=0, non_negative=True).count() == 0
    _verify()
