"""The demo's messaging: ad consents of a share of the regulars (some also at night), message
credit for 반송수산 and the market channel topped up with the sandbox card, and one message
반송수산 sent yesterday morning, so the owner sees statistics and the demo customer an inbox.

Consents go only to the seed's own people (the customers it created, on the follows it
created) and only where they have no consent record yet: the seed never grants, renews or
changes a consent it did not create. Top-ups and the campaign carry fixed keys.
"""

import datetime as dt
import random

from dangol.accounts.models import User
from dangol.core import clock
from dangol.messaging.campaigns import campaign_submit
from dangol.messaging.credit import message_credit_top_up
from dangol.messaging.models import Campaign, Channel
from dangol.payments.providers.sandbox import CARD_APPROVE
from dangol.places.models import Market, Store
from dangol.regulars.models import Consent, Follow
from dangol.regulars.services import consent_grant, consent_night_grant

AD_SHARE = 0.7  # of the featured store's and the market channel's followers
NIGHT_SHARE = 0.3  # of those who consent to ads
STORE_CREDIT = 50_000
MARKET_CREDIT = 100_000
FIRST_MESSAGE = (
    "오늘 아침 들어온 생물 고등어가 좋습니다. 1손 12,000원, 저녁 6시 이후에는 10,000원에 "
    "드려요. 손질은 무료로 해 드립니다."
)


def _consents(*, follows: list[Follow], store: Store | None, market: Market | None,
              rng: random.Random) -> None:
    """Grant ad (and some night) consents to a share of `follows`, skipping every customer
    who already has a consent record for this sender, whatever its state."""
    having = set(
        Consent.objects.filter(
            customer_id__in=[follow.customer_id for follow in follows], store=store, market=market
        ).values_list("customer_id", flat=True)
    )
    for follow in follows:
        # Draw for every follow, so who consents does not depend on what already exists.
        grant, night = rng.random() < AD_SHARE, rng.random() < NIGHT_SHARE
        if not grant or follow.customer_id in having:
            continue
        consent_grant(customer=follow.customer, store=store, market=market,
                      granted_at=follow.created_at)
        if night:
            consent_night_grant(customer=follow.customer, store=store, market=market)


def seed_campaigns(*, market: Market, featured: Store, customer: User, owner: User,
                   demo_people: list[User]) -> None:
    """Seed consents of `demo_people` (the customers this seed created) and of the demo
    `customer`, message credit and one sent message of the featured store."""
    rng = random.Random(20251121)  # noqa: S311 -- demo data
    own = Follow.objects.filter(
        customer__in=demo_people, source=Follow.Source.DEMO
    ).select_related("customer").order_by("pk")
    _consents(follows=list(own.filter(store=featured)), store=featured, market=None, rng=rng)
    _consents(follows=list(own.filter(market=market)), store=None, market=market, rng=rng)
    # The demo customer takes ads from 반송수산 day and night, and from the market by day,
    # since they began following.
    demo_follows = Follow.objects.filter(customer=customer, source=Follow.Source.DEMO)
    if not Consent.objects.filter(customer=customer, store=featured).exists():
        for follow in demo_follows.filter(store=featured):
            consent_grant(customer=customer, store=featured, granted_at=follow.created_at)
            consent_night_grant(customer=customer, store=featured)
    if not Consent.objects.filter(customer=customer, market=market).exists():
        for follow in demo_follows.filter(market=market):
            consent_grant(customer=customer, market=market, granted_at=follow.created_at)
    message_credit_top_up(store=featured, amount=STORE_CREDIT, card_number=CARD_APPROVE,
                          idempotency_key="demo:credit:featured")
    message_credit_top_up(market=market, amount=MARKET_CREDIT, card_number=CARD_APPROVE,
                          idempotency_key="demo:credit:market")
    key = "demo:campaign:first"
    existing = Campaign.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return
    yesterday = clock.now_kst().date() - dt.timedelta(days=1)
    with clock.travel(dt.datetime.combine(yesterday, dt.time(9, 30), tzinfo=clock.KST)):
        campaign_submit(
            store=featured, kind=Campaign.Kind.AD, body=FIRST_MESSAGE,
            audience=Campaign.Audience.ALL, channels=[Channel.IN_APP], idempotency_key=key,
            created_by=owner,
        )
