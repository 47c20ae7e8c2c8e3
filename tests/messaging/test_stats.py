"""Campaign statistics, a sender's campaign list, the inbox and unread count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangol.core.clock import kst
from dangol.messaging.campaigns import campaign_create, campaign_send
from dangol.messaging.deliveries import deliveries_release, delivery_click, delivery_read
from dangol.messaging.models import Campaign, Delivery
from dangol.messaging.selectors import (
    campaign_stats,
    campaigns_of,
    inbox_for,
    message_credit_balance,
    unread_count,
)
from dangol.regulars.services import consent_withdraw, follow_create

pytestmark = pytest.mark.django_db

EVENING = kst(2026, 11, 21, 21, 30)
MORNING = kst(2026, 11, 22, 8, 0)


def test_stats_of_a_night_campaign_through_its_life(store, consenting_regular, customer_factory,
                                                     credited_store, frozen_clock):
    frozen_clock(EVENING)
    credited_store(1_000)
    reader = consenting_regular(night=True)
    clicker = consenting_regular(night=True)
    opted = consenting_regular(night=True)
    held_stays = consenting_regular()
    held_leaves = consenting_regular()
    no_consent = customer_factory()
    follow_create(customer=no_consent, store=store)
    campaign = campaign_send(campaign=campaign_create(
        store=store, kind="ad", body="고등어", audience="all", channels=["in_app"],
        idempotency_key="stats", link_url="https://dangol.kr/s/1", link_label="보기",
    ))
    stats = campaign_stats(campaign=campaign)
    assert (stats.targeted, stats.suppressed_no_consent, stats.held_at_send) == (6, 1, 2)
    assert (stats.deliveries, stats.held, stats.delivered, stats.cost) == (5, 2, 3, 75)
    assert stats.suppressed == {"no_consent": 1}

    inbox = {d.customer_id: d for d in Delivery.objects.filter(campaign=campaign)}
    delivery_read(delivery=inbox[reader.pk])
    delivery_read(delivery=inbox[reader.pk])  # the second open changes nothing
    delivery_click(delivery=inbox[clicker.pk])
    Delivery.objects.filter(pk=inbox[opted.pk].pk).update(opted_out_at=EVENING)
    consent_withdraw(customer=opted, store=store)
    frozen_clock(kst(2026, 11, 22, 7, 0))
    consent_withdraw(customer=held_leaves, store=store)
    frozen_clock(MORNING)
    deliveries_release()

    with CaptureQueriesContext(connection) as queries:
        stats = campaign_stats(campaign=campaign)
    assert len(queries.captured_queries) == 2
    assert (stats.targeted, stats.deliveries, stats.held, stats.delivered) == (6, 5, 0, 4)
    assert stats.suppressed == {"no_consent": 1, "quiet_hours_withdrawn": 1}
    assert (stats.read, stats.clicked, stats.opted_out) == (2, 1, 1)
    assert (stats.cost, stats.refunded, stats.net_cost) == (75, 15, 60)
    assert stats.by_channel == {"in_app": 5}
    assert message_credit_balance(store=store) == 1_000 - 60
    assert unread_count(user=held_stays) == 1


def test_campaigns_of_a_sender_only(store, market, credited_store, frozen_clock):
    frozen_clock(kst(2026, 11, 21, 12, 0))
    mine = campaign_create(
        store=store, kind="ad", body="a", audience="all", channels=["in_app"], idempotency_key="a"
    )
    theirs = campaign_create(
        market=market, kind="ad", body="b", audience="market", channels=["in_app"],
        idempotency_key="b",
    )
    assert list(campaigns_of(store=store)) == [mine]
    assert list(campaigns_of(market=market)) == [theirs]
    assert mine.status == Campaign.Status.SCHEDULED


def test_inbox_newest_first_with_constant_queries(store, market, consenting_regular,
                                                  credited_store, credited_market, frozen_clock):
    frozen_clock(kst(2026, 11, 21, 10, 0))
    credited_store(1_000)
    credited_market(1_000)
    person = consenting_regular()
    consenting_regular(market=market, customer=person)
    sent = []
    for hour, sender in [(10, {"store": store}), (11, {"market": market}), (12, {"store": store})]:
        frozen_clock(kst(2026, 11, 21, hour, 0))
        audience = "market" if "market" in sender else "all"
        sent.append(campaign_send(campaign=campaign_create(
            kind="ad", body=f"{hour}시 소식", audience=audience, channels=["in_app", "sms"],
            idempotency_key=f"inbox-{hour}", **sender,
        )))
    with CaptureQueriesContext(connection) as queries:
        rows = list(inbox_for(user=person))
        names = [str(row.campaign.store or row.campaign.market) for row in rows]
    assert len(queries.captured_queries) == 1
    assert [row.campaign_id for row in rows] == [c.pk for c in reversed(sent)]
    assert names == [store.name, market.name, store.name]
    assert unread_count(user=person) == 3
    delivery_read(delivery=rows[0])
    assert unread_count(user=person) == 2
