"""campaign_send: the set-based fan-out, its counts, quiet hours and credit (issue 5)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangol.core import clock
from dangol.core.clock import kst
from dangol.core.errors import IdempotencyKeyReused
from dangol.ledger.selectors import ledger_verify
from dangol.messaging.campaigns import (
    campaign_check,
    campaign_create,
    campaign_is_due,
    campaign_send,
    campaign_submit,
    campaigns_send_due,
)
from dangol.messaging.deliveries import delivery_opt_out
from dangol.messaging.errors import CampaignInvalid, MessageCreditShort
from dangol.messaging.models import Campaign, Delivery
from dangol.messaging.selectors import message_credit_balance
from dangol.regulars.services import consent_grant, consent_withdraw, follow_create, tag_create

pytestmark = pytest.mark.django_db

NOON = kst(2026, 11, 21, 12, 0)


def _ad(store=None, market=None, *, key="k1", channels=("in_app",), audience="all", tag=None,
        body="고등어 30% 할인, 오늘 19시까지", scheduled_at=None, template=""):
    return campaign_create(
        store=store, market=market, kind="ad", template=template, body=body, audience=audience,
        tag=tag, channels=list(channels), idempotency_key=key, scheduled_at=scheduled_at,
    )


def _verify():
    report = ledger_verify()
    assert report.ok, report


def test_send_in_app_to_consenting_regulars_only(store, consenting_regular, customer_factory,
                                                  credited_store, frozen_clock):
    frozen_clock(NOON)
    credited_store(1_000)
    a, b = consenting_regular(), consenting_regular()
    follower_only = customer_factory()
    follow_create(customer=follower_only, store=store)
    campaign = campaign_send(campaign=_ad(store))
    assert campaign.status == Campaign.Status.SENT
    counts = (campaign.targeted, campaign.suppressed_no_consent, campaign.held_quiet_hours)
    assert counts == (3, 1, 0)
    assert campaign.cost == 30
    rows = Delivery.objects.filter(campaign=campaign).order_by("customer_id")
    assert [(d.customer_id, d.channel, d.status, d.price) for d in rows] == [
        (a.pk, "in_app", "visible", 15), (b.pk, "in_app", "visible", 15),
    ]
    assert all(d.release_at == NOON for d in rows)
    tokens = {d.opt_out_token for d in rows}
    assert len(tokens) == 2 and all(len(t) == 32 for t in tokens)
    assert message_credit_balance(store=store) == 970
    assert campaign.charge is not None
    _verify()


def test_send_is_idempotent(store, consenting_regular, credited_store, frozen_clock):
    frozen_clock(NOON)
    credited_store(1_000)
    consenting_regular()
    campaign = _ad(store)
    campaign_send(campaign=campaign)
    again = campaign_send(campaign=campaign)
    assert again.status == Campaign.Status.SENT
    assert Delivery.objects.filter(campaign=campaign).count() == 1
    assert message_credit_balance(store=store) == 985
    assert _ad(store).pk == campaign.pk  # same key, same campaign
    with pytest.raises(IdempotencyKeyReused):
        _ad(store, body="다른 내용")
    _verify()


def test_send_uses_constant_queries(store, consenting_regular, credited_store, frozen_clock):
    frozen_clock(NOON)
    credited_store(10_000)
    for _ in range(3):
        consenting_regular()
    campaign_send(campaign=_ad(store, key="warm-up"))  # opens the usage account
    small = _ad(store, key="small", channels=("in_app", "sms"))
    with CaptureQueriesContext(connection) as few:
        campaign_send(campaign=small)
    for _ in range(20):
        consenting_regular()
    big = _ad(store, key="big", channels=("in_app", "sms"))
    with CaptureQueriesContext(connection) as many:
        campaign_send(campaign=big)
    assert Delivery.objects.filter(campaign=big).count() == 46
    assert len(many.captured_queries) == len(few.captured_queries)


def test_sms_email_channels_and_missing_addresses(store, consenting_regular, credited_store,
                                                  frozen_clock):
    frozen_clock(NOON)
    credited_store(1_000)
    with_email = consenting_regular(email="dan@example.kr")
    without_email = consenting_regular()
    campaign = campaign_send(
        campaign=_ad(store, channels=("in_app", "sms", "email"), body="고등어 할인")
    )
    rows = {(d.customer_id, d.channel): d for d in Delivery.objects.filter(campaign=campaign)}
    # The rendered ad (prefix, name, contact, opt-out link) is over 90 EUC-KR bytes: LMS.
    assert sorted(rows) == sorted([
        (with_email.pk, "in_app"), (with_email.pk, "lms"), (with_email.pk, "email"),
        (without_email.pk, "in_app"), (without_email.pk, "lms"),
    ])
    assert rows[(with_email.pk, "lms")].address == with_email.phone
    assert rows[(with_email.pk, "lms")].status == "queued"
    assert rows[(with_email.pk, "email")].address == "dan@example.kr"
    assert campaign.cost == 2 * 15 + 2 * 50 + 0
    assert message_credit_balance(store=store) == 870
    check = campaign_check(
        sender_store=store, kind="ad", audience="all", channels=["in_app", "sms", "email"],
        at=NOON, body="고등어 할인",
    )
    assert check.skipped_no_address == {"in_app": 0, "sms": 0, "email": 1}
    assert check.deliveries == {"in_app": 2, "lms": 2, "email": 1}
    _verify()


@pytest.mark.parametrize(
    ("hour", "minute", "night"),
    [(20, 59, False), (21, 0, True), (7, 59, True), (8, 0, False)],
)
def test_quiet_hours_boundaries(store, consenting_regular, credited_store, frozen_clock,
                                hour, minute, night):
    at = kst(2026, 11, 21, hour, minute)
    frozen_clock(at)
    credited_store(1_000)
    night_ok = consenting_regular(night=True)
    day_only = consenting_regular()
    campaign = campaign_send(campaign=_ad(store, channels=("in_app", "sms")))
    rows = {(d.customer_id, d.channel): d for d in Delivery.objects.filter(campaign=campaign)}
    assert len(rows) == 4
    assert rows[(night_ok.pk, "in_app")].status == "visible"
    assert rows[(night_ok.pk, "lms")].status == "queued"
    assert rows[(night_ok.pk, "in_app")].release_at == at
    if night:
        release = kst(2026, 11, 22 if hour >= 21 else 21, 8, 0)
        assert rows[(day_only.pk, "in_app")].status == "held"
        assert rows[(day_only.pk, "lms")].status == "held"
        assert rows[(day_only.pk, "in_app")].release_at == release
        assert campaign.held_quiet_hours == 1
    else:
        assert rows[(day_only.pk, "in_app")].status == "visible"
        assert rows[(day_only.pk, "lms")].status == "queued"
        assert campaign.held_quiet_hours == 0
    # Held rows are charged too (they will be delivered at 08:00 or refunded).
    assert campaign.cost == 2 * 15 + 2 * 50
    _verify()


def test_check_tells_how_many_are_held_before_sending(store, consenting_regular, credited_store,
                                                      frozen_clock):
    at = kst(2026, 11, 21, 20, 30)
    frozen_clock(at)
    credited_store(100)
    consenting_regular(night=True)
    consenting_regular()
    consenting_regular()
    check = campaign_check(
        sender_store=store, kind="ad", audience="all", channels=["in_app"],
        at=kst(2026, 11, 21, 21, 30),
    )
    assert (check.targeted, check.eligible, check.eligible_now, check.held) == (3, 3, 1, 2)
    assert check.release_at == kst(2026, 11, 22, 8, 0)
    assert (check.cost, check.balance, check.problems) == (45, 100, [])
    assert not Delivery.objects.exists()


def test_withdrawal_after_scheduling_is_honoured(store, consenting_regular, credited_store,
                                                 frozen_clock):
    frozen_clock(NOON)
    credited_store(1_000)
    stays, leaves = consenting_regular(), consenting_regular()
    campaign = _ad(store, scheduled_at=kst(2026, 11, 21, 15, 0))
    assert campaign_send(campaign=campaign).status == Campaign.Status.SCHEDULED  # not due
    assert not Delivery.objects.exists()
    frozen_clock(kst(2026, 11, 21, 14, 0))
    consent_withdraw(customer=leaves, store=store)
    frozen_clock(kst(2026, 11, 21, 15, 0))
    assert campaigns_send_due() == 1
    assert campaigns_send_due() == 0
    campaign.refresh_from_db()
    assert list(Delivery.objects.values_list("customer_id", flat=True)) == [stays.pk]
    assert (campaign.targeted, campaign.suppressed_withdrawn, campaign.cost) == (2, 1, 15)
    assert campaign.suppressed_no_consent == 0
    _verify()


def test_withdrawn_and_never_consented_are_counted_apart(store, consenting_regular,
                                                         customer_factory, credited_store,
                                                         frozen_clock):
    # A regular who withdrew before the scheduled send is "withdrawn", one who never
    # consented (or consented only after the send) is "no consent" — in the check, the
    # campaign's figures and its statistics alike.
    from dangol.messaging.selectors import campaign_stats

    frozen_clock(NOON)
    credited_store(1_000)
    consenting_regular()
    leaves = consenting_regular()
    never = customer_factory()
    follow_create(customer=never, store=store)
    send_at = kst(2026, 11, 21, 15, 0)
    campaign = _ad(store, scheduled_at=send_at)
    frozen_clock(kst(2026, 11, 21, 14, 0))
    consent_withdraw(customer=leaves, store=store)
    check = campaign_check(sender_store=store, kind="ad", audience="all", channels=["in_app"],
                           at=send_at, body="고등어")
    assert (check.targeted, check.eligible) == (3, 1)
    assert (check.suppressed_withdrawn, check.suppressed_no_consent) == (1, 1)
    frozen_clock(send_at)
    campaigns_send_due()
    campaign.refresh_from_db()
    assert (campaign.suppressed_withdrawn, campaign.suppressed_no_consent) == (1, 1)
    assert campaign_stats(campaign=campaign).suppressed == {"withdrawn": 1, "no_consent": 1}


def test_store_and_market_follower_gets_one_copy(store, market, consenting_regular,
                                                 credited_store, credited_market, frozen_clock):
    frozen_clock(NOON)
    credited_store(1_000)
    credited_market(1_000)
    both = consenting_regular()
    consenting_regular(market=market, customer=both)
    store_only = consenting_regular()
    market_only = consenting_regular(market=market)
    market_campaign = campaign_send(campaign=_ad(market=market, key="m"))
    store_campaign = campaign_send(campaign=_ad(store, key="s"))
    assert sorted(Delivery.objects.filter(campaign=market_campaign)
                  .values_list("customer_id", flat=True)) == sorted([both.pk, market_only.pk])
    assert sorted(Delivery.objects.filter(campaign=store_campaign)
                  .values_list("customer_id", flat=True)) == sorted([both.pk, store_only.pk])
    assert market_campaign.cost == 30 and store_campaign.cost == 30
    _verify()


def test_market_consent_does_not_reach_store_audience(store, market, consenting_regular,
                                                      customer_factory, credited_store,
                                                      frozen_clock):
    frozen_clock(NOON)
    credited_store(1_000)
    person = customer_factory()
    with clock.travel(kst(2026, 1, 1, 12)):
        follow_create(customer=person, store=store)
        consent_grant(customer=person, market=market)  # consent to the market, not the store
    campaign = campaign_send(campaign=_ad(store))
    assert (campaign.targeted, campaign.suppressed_no_consent, campaign.cost) == (1, 1, 0)
    assert not Delivery.objects.exists()
    assert campaign.charge is None


def test_tag_audience(store, consenting_regular, credited_store, frozen_clock):
    from dangol.regulars.models import Follow

    frozen_clock(NOON)
    credited_store(1_000)
    tagged, _untagged = consenting_regular(), consenting_regular()
    tag = tag_create(store=store, name="김장 고객")
    Follow.objects.get(customer=tagged, store=store).tags.add(tag)
    campaign = campaign_send(campaign=_ad(store, audience="tag", tag=tag))
    assert list(Delivery.objects.values_list("customer_id", flat=True)) == [tagged.pk]
    assert (campaign.targeted, campaign.cost) == (1, 15)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"body": "가" * 1001}, "1,000"),
        ({"body": "   "}, "내용"),
        ({"body": " [광 고] "}, "내용"),
        ({"kind": "info", "template": ""}, "정보성"),
        ({"kind": "info", "template": "expiry"}, "정보성"),
        ({"kind": "info", "template": "voucher_received"}, "정보성"),
        ({"kind": "ad", "template": "expiry"}, "광고"),
        ({"link_url": "https://dangol.kr", "link_label": ""}, "링크"),
        ({"link_url": "javascript:alert(1)", "link_label": "보기"}, "http"),
        ({"channels": []}, "채널"),
        ({"channels": ["fax"]}, "채널"),
        ({"audience": "market"}, "시장"),
        ({"audience": "tag"}, "태그"),
        ({"scheduled_at": kst(2026, 11, 21, 11, 0)}, "지났습니다"),
    ],
)
def test_create_refusals(store, frozen_clock, fields, fragment):
    frozen_clock(NOON)
    args = {
        "store": store, "kind": "ad", "template": "", "body": "고등어", "audience": "all",
        "channels": ["in_app"], "idempotency_key": "x",
    } | fields
    with pytest.raises(CampaignInvalid) as error:
        campaign_create(**args)
    assert fragment in error.value.message
    assert not Campaign.objects.exists()


def test_coupon_of_the_same_store_only(store, frozen_clock):
    from tests.coupons.utils import make_template
    from tests.factories import StoreFactory

    frozen_clock(NOON)
    other = make_template(StoreFactory(market=store.market))
    with pytest.raises(CampaignInvalid, match="쿠폰"):
        campaign_create(
            store=store, kind="ad", body="고등어", audience="all", channels=["in_app"],
            idempotency_key="c1", coupon_template=other,
        )
    own = make_template(store)
    campaign = campaign_create(
        store=store, kind="ad", body="고등어", audience="all", channels=["in_app"],
        idempotency_key="c2", coupon_template=own,
    )
    assert campaign.coupon_template == own


def test_ad_needs_sender_contact(market, frozen_clock):
    from dangol.core.errors import DangolError

    frozen_clock(NOON)
    market.phone = ""
    market.save(update_fields=["phone"])
    with pytest.raises(DangolError, match="연락처"):
        _ad(market=market, key="no-contact")
    assert not Campaign.objects.exists()


def test_closing_sale_template_allowed(store, consenting_regular, credited_store, frozen_clock):
    frozen_clock(NOON)
    credited_store(100)
    consenting_regular()
    campaign = _ad(store, template="closing_sale", body="마감 세일: 고등어 ₩8,000, 19:00까지")
    assert campaign_send(campaign=campaign).cost == 15


def test_opt_out_from_a_delivery_withdraws_consent_at_once_and_keeps_the_first_time(
    store, consenting_regular, credited_store, frozen_clock
):
    frozen_clock(NOON)
    credited_store(1_000)
    regular = consenting_regular()
    campaign = campaign_send(campaign=_ad(store))
    delivery = Delivery.objects.select_related("campaign", "customer").get(campaign=campaign)

    delivery_opt_out(delivery=delivery)
    first = delivery.opted_out_at
    frozen_clock(kst(2026, 11, 21, 13, 0))
    delivery_opt_out(delivery=delivery)  # a second tap changes nothing

    assert first == NOON and delivery.opted_out_at == first
    consent = regular.consents.get(store=store)
    assert consent.ad_withdrawn_at == first
    again = campaign_send(campaign=_ad(store, key="k2"))
    assert not Delivery.objects.filter(campaign=again, customer=regular).exists()


# --- submit: create, then send if due --------------------------------------------------------


def _submit(store, *, key="s1", scheduled_at=None):
    return campaign_submit(
        store=store, kind="ad", body="고등어 30% 할인, 오늘 19시까지", audience="all",
        channels=["in_app"], idempotency_key=key, scheduled_at=scheduled_at,
    )


@pytest.mark.parametrize("scheduled_at", [None, NOON, NOON - dt.timedelta(seconds=30)])
def test_submit_sends_at_once_what_is_due(store, consenting_regular, credited_store,
                                          frozen_clock, scheduled_at):
    frozen_clock(NOON)
    credited_store(1_000)
    regular = consenting_regular()

    campaign = _submit(store, scheduled_at=scheduled_at)

    assert (campaign.status, campaign.sent_at) == (Campaign.Status.SENT, NOON)
    assert list(campaign.deliveries.values_list("customer_id", flat=True)) == [regular.pk]


def test_submit_schedules_what_is_not_due_and_the_minute_task_sends_it(
    store, consenting_regular, credited_store, frozen_clock
):
    frozen_clock(NOON)
    credited_store(1_000)
    consenting_regular()
    later = NOON + dt.timedelta(minutes=1)

    campaign = _submit(store, scheduled_at=later)

    assert campaign.status == Campaign.Status.SCHEDULED and not campaign.deliveries.exists()
    assert not campaign_is_due(scheduled_at=later)
    frozen_clock(later)
    assert campaigns_send_due() == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def test_submit_repeated_with_its_key_sends_once(store, consenting_regular, credited_store,
                                                 frozen_clock):
    frozen_clock(NOON)
    credited_store(1_000)
    consenting_regular()

    first, again = _submit(store), _submit(store)

    assert again.pk == first.pk
    assert Delivery.objects.count() == 1
    assert message_credit_balance(store=store) == 985
    _verify()


def test_submit_refused_for_short_credit_leaves_no_campaign(store, consenting_regular,
                                                            frozen_clock):
    frozen_clock(NOON)
    consenting_regular()

    with pytest.raises(MessageCreditShort):
        _submit(store)

    assert not Campaign.objects.exists()


def test_the_database_refuses_an_informational_message_with_a_sender(store, frozen_clock):
    from django.db import IntegrityError, transaction

    frozen_clock(NOON)
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(
            store=store, kind="info", template="expiry", body="오늘만 50% 할인",
            audience="all", channels=["in_app"], scheduled_at=NOON, status="scheduled",
            idempotency_key="db-info",
        )
