"""Privacy test helpers: a customer with a full life on dangol (follows, consents, coupons,
stamps, a used voucher, messages, a notice), built through the services, and the
messaging tests' fixtures (`store`, `market`, `customer_factory`, `credited_store`)."""

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.clock import kst
from dangol.coupons import services as coupons
from dangol.coupons import stamps
from dangol.coupons.models import Coupon
from dangol.messaging.campaigns import campaign_create, campaign_send
from dangol.messaging.dispatch import deliveries_dispatch
from dangol.messaging.models import Channel
from dangol.notices.models import Notice
from dangol.notices.services import notice_send
from dangol.places.models import Store
from dangol.regulars import services as regulars
from dangol.vouchers import services as vouchers
from dangol.vouchers.models import Voucher
from tests.factories import StoreMembershipFactory
from tests.messaging import conftest as messaging_fixtures
from tests.vouchers.conftest import buy, key, make_product

# The messaging tests' fixtures, shared rather than copied.
market = messaging_fixtures.market
store = messaging_fixtures.store
customer_factory = messaging_fixtures.customer_factory
credited_store = messaging_fixtures.credited_store

NOW = kst(2026, 11, 19, 10, 0)
_names = itertools.count(1)


@dataclass
class Life:
    """One customer's rows, as the services made them."""

    customer: User
    used_coupon: Coupon
    open_coupon: Coupon
    voucher: Voucher  # bought, then fully used: no balance left
    notice: Notice


@pytest.fixture
def clerk(store: Store) -> User:
    return StoreMembershipFactory(store=store).user


@pytest.fixture
def live(store, clerk, customer_factory, credited_store, frozen_clock):
    """Return a function that gives a customer (new unless given) a full life at `store`:
    a follow with ad and night consent (and a withdrawal and a new grant), two coupons (one
    used at the counter), a stamp, a ₩10,000 voucher used up, an in-app and an SMS message
    delivered (the text message sent), and a notice."""
    frozen_clock(NOW)
    credited_store(10_000)
    product = make_product(store)
    template = coupons.coupon_template_create(
        store=store, name="첫 방문 1천원", kind="amount_off", amount_off=1_000,
        valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=30),
        per_customer_limit=5,
    )
    reward = coupons.coupon_template_create(
        store=store, name="스탬프 보상", kind="amount_off", amount_off=2_000,
        valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=365),
    )
    stamps.stamp_program_create(store=store, name="도장 10개", stamps_required=10, reward=reward)

    def make(customer: User | None = None, *, name: str = "") -> Life:
        person = customer or customer_factory(**({"name": name} if name else {}))
        with clock.travel(NOW - dt.timedelta(days=3)):
            regulars.follow_join(customer=person, store=store, ad=True, night=True)
        with clock.travel(NOW - dt.timedelta(days=2)):
            regulars.consent_withdraw(customer=person, store=store)
        with clock.travel(NOW - dt.timedelta(days=1)):
            regulars.consent_grant(customer=person, store=store)
        used = coupons.coupon_claim(template=template, customer=person)
        coupons.coupon_redeem(store=store, staff=clerk, code=used.code, purchase_amount=20_000)
        open_coupon = coupons.coupon_claim(template=template, customer=person)
        stamps.stamp_give(store=store, staff=clerk, customer=person, count=1,
                          idempotency_key=key("stamp"))
        voucher = buy(product, person)
        vouchers.voucher_redeem(voucher=voucher, store=store, amount=10_000, staff=clerk,
                                idempotency_key=key("redeem"))
        n = next(_names)
        campaign_send(campaign=campaign_create(
            store=store, kind="ad", body=f"고등어 세일 {n}", audience="all",
            channels=["in_app", "sms"], idempotency_key=f"life-{n}",
        ))
        for channel in (Channel.SMS, Channel.LMS):  # an ad with its opt-out line is an LMS
            deliveries_dispatch(channel=channel)
        notice = notice_send(user=person, kind=Notice.Kind.OTHER, title="안내",
                             body=f"안내 {n}", idempotency_key=f"life-notice-{n}")
        used.refresh_from_db()
        open_coupon.refresh_from_db()
        voucher.refresh_from_db()
        return Life(customer=person, used_coupon=used, open_coupon=open_coupon, voucher=voucher,
                    notice=notice)

    return make
