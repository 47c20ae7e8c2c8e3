"""The set-based SQL of the fan-out (`campaign_send`) and of the quiet-hour release
(`deliveries_release`) against the pure rules: for random consent histories of a few
customers and a random send instant (boundaries 20:59, 21:00, 07:59, 08:00 KST included),
the deliveries inserted — visible/queued, held until 08:00, or none — are exactly what
`rules.ad_decision` says for each customer on the Consent row as it stands, and what the
release does at 08:00 is what `ad_decision` says then (withdrawals in between honoured)."""

import contextlib
import datetime as dt
import uuid

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangol.core import clock
from dangol.core.clock import KST, kst
from dangol.messaging.campaigns import campaign_create, campaign_send
from dangol.messaging.deliveries import SuppressedReason, deliveries_release
from dangol.messaging.models import Campaign, Channel, Delivery
from dangol.messaging.rules import (
    ConsentState,
    FollowRow,
    Outcome,
    Reason,
    Sender,
    ad_decision,
    audience_copies,
    release_at,
)
from dangol.places.models import Market, Store
from dangol.regulars import services as regulars
from dangol.regulars.errors import NightNeedsAdConsent
from dangol.regulars.models import Consent
from tests.factories import CustomerFactory, MarketFactory, StoreFactory

pytestmark = pytest.mark.django_db

BASE = kst(2026, 3, 2, 6, 0)  # a Monday, before 08:00: histories cross nights and days
BOUNDARIES = [None, (20, 59), (21, 0), (7, 59), (8, 0)]
CREDIT = 10_000_000


@st.composite
def scenarios(draw):
    n = draw(st.integers(min_value=1, max_value=4))
    follows = [
        (draw(st.booleans()), draw(st.booleans()))  # follows the store, the market channel
        for _ in range(n)
    ]
    sender = draw(st.sampled_from(["store", "market"]))
    other = "market" if sender == "store" else "store"
    # Mostly the sender's own consent (grants weighted up so that consents stand often);
    # now and then the other sender's, which must not count.
    event = st.tuples(
        st.integers(min_value=0, max_value=n - 1),
        st.sampled_from([sender, sender, sender, other]),
        st.sampled_from(["grant", "grant", "night_grant", "withdraw", "night_withdraw"]),
        st.integers(min_value=1, max_value=16 * 60),  # minutes after the previous event
    )
    soon = st.tuples(  # between the send and 08:00: minutes apart
        st.integers(min_value=0, max_value=n - 1), st.sampled_from([sender, sender, other]),
        st.sampled_from(["withdraw", "withdraw", "night_withdraw", "grant", "night_grant"]),
        st.integers(min_value=1, max_value=90),
    )
    return {
        "follows": follows,
        "before": draw(st.lists(event, max_size=14)),
        "after": draw(st.lists(soon, max_size=6)),
        "sender": sender,
        "market_audience": draw(st.sampled_from(["all", "market"])),
        "channels": draw(st.sampled_from([["in_app"], ["in_app", "sms"]])),
        "gap": draw(st.integers(min_value=1, max_value=3 * 24 * 60)),
        "boundary": draw(st.sampled_from(BOUNDARIES)),
    }


def _apply(event, moment, customers, store: Store, market: Market) -> None:
    index, target, kind, _gap = event
    where = {"store": store} if target == "store" else {"market": market}
    with clock.travel(moment):
        if kind == "grant":
            regulars.consent_grant(customer=customers[index], **where)
        elif kind == "withdraw":
            regulars.consent_withdraw(customer=customers[index], **where)
        elif kind == "night_grant":
            # Refused without a standing ad opt-in: nothing changes.
            with contextlib.suppress(NightNeedsAdConsent):
                regulars.consent_night_grant(customer=customers[index], **where)
        else:
            regulars.consent_night_withdraw(customer=customers[index], **where)


def _send_instant(last: dt.datetime, gap: int, boundary) -> dt.datetime:
    moment = last + dt.timedelta(minutes=gap)
    if boundary is None:
        return moment
    local = moment.astimezone(KST)
    snapped = dt.datetime.combine(local.date(), dt.time(*boundary), tzinfo=KST)
    return snapped if snapped > last else snapped + dt.timedelta(days=1)


def _state(customer, *, store: Store | None, market: Market | None) -> ConsentState | None:
    row = Consent.objects.filter(customer=customer, store=store, market=market).first()
    if row is None:
        return None
    return ConsentState(
        row.ad_granted_at, row.ad_withdrawn_at, row.night_granted_at, row.night_withdrawn_at
    )


def _rows(campaign: Campaign) -> dict[tuple[int, str], Delivery]:
    rows = {}
    for delivery in Delivery.objects.filter(campaign=campaign):
        external = "in_app" if delivery.channel == Channel.IN_APP else "sms"
        assert delivery.customer_id is not None
        rows[(delivery.customer_id, external)] = delivery
    return rows


@settings(
    max_examples=120, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=scenarios())
def test_fanout_and_release_agree_with_ad_decision(case, credited_store, credited_market):
    market = MarketFactory(phone="+82515440000")
    store = StoreFactory(market=market)
    customers = [CustomerFactory() for _ in case["follows"]]
    with clock.travel(BASE - dt.timedelta(days=1)):
        for customer, (on_store, on_market) in zip(customers, case["follows"], strict=True):
            if on_store:
                regulars.follow_create(customer=customer, store=store)
            if on_market:
                regulars.follow_create(customer=customer, market=market)
    moment = BASE
    for event in case["before"]:
        moment += dt.timedelta(minutes=event[3])
        _apply(event, moment, customers, store, market)
    send_at = _send_instant(moment, case["gap"], case["boundary"])

    if case["sender"] == "store":
        credited_store(CREDIT, store)
        sender_kw, sender = {"store": store}, Sender(store_id=store.pk)
        audience = "all"
    else:
        credited_market(CREDIT, market)
        sender_kw, sender = {"market": market}, Sender(market_id=market.pk)
        audience = case["market_audience"]
    with clock.travel(send_at):
        campaign = campaign_create(
            **sender_kw, kind=Campaign.Kind.AD, body="고등어 30% 할인, 오늘 19시까지!",
            audience=audience, channels=case["channels"],
            idempotency_key=f"rules-vs-sql-{uuid.uuid4().hex}",
        )
        campaign = campaign_send(campaign=campaign)
    assert campaign.status == Campaign.Status.SENT

    # Who is in the audience at all: the pure one-copy rule over the follow rows.
    follow_rows = [
        FollowRow(customer_id=customer.pk, store_id=store.pk)
        for customer, (on_store, _m) in zip(customers, case["follows"], strict=True) if on_store
    ] + [
        FollowRow(customer_id=customer.pk, market_id=market.pk)
        for customer, (_s, on_market) in zip(customers, case["follows"], strict=True) if on_market
    ]
    copies = audience_copies(
        campaign_id=campaign.pk, sender=sender, follows=follow_rows,
        channels=case["channels"], audience=audience,
    )
    reached = {customer_id for _c, customer_id, _ch in copies}

    rows = _rows(campaign)
    decisions = {}
    for customer in customers:
        decision = ad_decision(
            consent=_state(customer, store=sender_kw.get("store"), market=sender_kw.get("market")),
            at=send_at,
        )
        decisions[customer.pk] = decision
        if customer.pk in reached:
            hypothesis.event(f"send: {decision.outcome} {decision.reason}")
        for channel in case["channels"]:
            row = rows.get((customer.pk, channel))
            if customer.pk not in reached or decision.outcome is Outcome.SUPPRESS:
                assert row is None, (customer.pk, channel, decision)
                continue
            assert row is not None, (customer.pk, channel, decision)
            if decision.outcome is Outcome.SEND:
                live = Delivery.Status.VISIBLE if channel == "in_app" else Delivery.Status.QUEUED
                assert row.status == live
                assert row.release_at == send_at
            else:
                assert row.status == Delivery.Status.HELD
                assert row.release_at == decision.release_at == release_at(send_at)
    in_audience = [decisions[pk] for pk in reached]
    assert len(rows) == len(copies) - len(case["channels"]) * sum(
        1 for d in in_audience if d.outcome is Outcome.SUPPRESS
    )
    assert campaign.targeted == len(reached)
    # The fan-out's figures tell the reasons apart as ad_decision does.
    assert campaign.suppressed_no_consent == sum(
        1 for d in in_audience if d.outcome is Outcome.SUPPRESS and d.reason is Reason.NO_CONSENT
    )
    assert campaign.suppressed_withdrawn == sum(
        1 for d in in_audience if d.outcome is Outcome.SUPPRESS and d.reason is Reason.WITHDRAWN
    )
    assert campaign.held_quiet_hours == sum(1 for d in in_audience if d.outcome is Outcome.HOLD)

    # Withdrawals (and grants) between the send and 08:00, then the release at 08:00 KST.
    release = release_at(send_at)
    if release == send_at:
        return
    moment = send_at
    for event in case["after"]:
        moment += dt.timedelta(minutes=event[3])
        if moment >= release:
            break
        _apply(event, moment, customers, store, market)
    with clock.travel(release):
        deliveries_release(at=release)
    for customer in customers:
        if customer.pk not in reached or decisions[customer.pk].outcome is not Outcome.HOLD:
            continue
        again = ad_decision(
            consent=_state(customer, store=sender_kw.get("store"), market=sender_kw.get("market")),
            at=release,
        )
        assert again.outcome is not Outcome.HOLD  # 08:00 is daytime
        hypothesis.event(f"release: {again.outcome} {again.reason}")
        for channel in case["channels"]:
            row = Delivery.objects.get(pk=rows[(customer.pk, channel)].pk)
            if again.outcome is Outcome.SEND:
                live = Delivery.Status.VISIBLE if channel == "in_app" else Delivery.Status.QUEUED
                assert row.status == live, (customer.pk, channel, again)
                assert not row.refunded
            else:
                assert row.status == Delivery.Status.SUPPRESSED, (customer.pk, channel, again)
                assert row.suppressed_reason == SuppressedReason.QUIET_HOURS_WITHDRAWN
                assert row.refunded
