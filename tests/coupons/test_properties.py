"""Property tests: coupon validity and stamp limits hold for any template, time and sequence."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangol.core import clock
from dangol.core.clock import KST
from dangol.core.errors import DangolError
from dangol.coupons import errors, services, stamps
from dangol.coupons.models import Coupon, CouponTemplate
from tests.coupons.utils import NOW, make_template
from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

kinds = st.sampled_from(list(CouponTemplate.Kind))
minutes = st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60)


@PROPERTY_SETTINGS
@given(
    kind=kinds,
    amount_off=st.integers(1, 50_000),
    percent_off=st.integers(1, 100),
    cap=st.integers(1, 30_000),
    start=minutes,
    length=st.integers(1, 5 * 24 * 60),
    at=minutes,
    purchase=st.integers(0, 200_000),
    minimum=st.sampled_from([0, 0, 5_000, 10_000, 50_000]),
    active=st.booleans(),
    used_before=st.booleans(),
)
def test_redeem_succeeds_iff_in_window_active_unused_and_minimum_met(
    kind, amount_off, percent_off, cap, start, length, at, purchase, minimum, active, used_before
):
    with transaction.atomic():
        clock.freeze(NOW)
        store, staff = StoreFactory(), StaffUserFactory()
        valid_from = NOW + dt.timedelta(minutes=start)
        valid_until = valid_from + dt.timedelta(minutes=length)
        template = make_template(
            store, kind=kind, amount_off=amount_off, percent_off=percent_off, max_discount=cap,
            free_item="떡 한 팩", minimum_purchase=minimum, valid_from=valid_from,
            valid_until=max(valid_until, NOW + dt.timedelta(minutes=1)),
        )
        coupon = services.coupon_claim(template=template, customer=CustomerFactory())
        if used_before:
            Coupon.objects.filter(pk=coupon.pk).update(status="redeemed", redeemed_at=NOW)
        if not active:
            services.coupon_template_update(template=template, is_active=False)
        template.refresh_from_db()
        moment = NOW + dt.timedelta(minutes=at)
        clock.freeze(moment)

        expected = (
            template.valid_from <= moment < template.valid_until
            and active and not used_before and purchase >= minimum
        )
        try:
            redeemed = services.coupon_redeem(
                store=store, staff=staff, code=coupon.code, purchase_amount=purchase
            )
        except DangolError:
            succeeded = False
        else:
            succeeded = True
            discount = redeemed.discount_amount
            assert discount is not None and 0 <= discount <= purchase
            if kind == CouponTemplate.Kind.PERCENT_OFF:
                assert discount <= cap
            if kind == CouponTemplate.Kind.AMOUNT_OFF:
                assert discount == min(amount_off, purchase)
        assert succeeded == expected
        transaction.set_rollback(True)
    clock.freeze(None)


# Minutes of the KST day around KST midnight (23:58, 23:59, 00:00, 00:01) and around UTC
# midnight (08:59, 09:00 KST): 23:59 then 00:00 is a one-minute move into a new KST day (the
# day's limit starts again), 08:59 then 09:00 crosses only the UTC date (it must not).
BOUNDARY_MINUTES = (23 * 60 + 58, 23 * 60 + 59, 0, 1, 8 * 60 + 59, 9 * 60)
gives = st.lists(
    st.tuples(
        st.integers(0, 2),  # KST days to move on
        st.one_of(st.sampled_from(BOUNDARY_MINUTES), st.integers(0, 24 * 60 - 1)),  # minute
        st.integers(1, 4),  # stamps asked
    ),
    min_size=1, max_size=25,
)


def next_moment(after: dt.datetime, days_on: int, minute: int) -> dt.datetime:
    """Return the first instant after `after` at `minute` of the KST day `days_on` days on."""
    day = after.astimezone(KST).date() + dt.timedelta(days=days_on)
    moment = dt.datetime.combine(day, dt.time(0), tzinfo=KST) + dt.timedelta(minutes=minute)
    return moment if moment > after else moment + dt.timedelta(days=1)


@PROPERTY_SETTINGS
@given(
    required=st.integers(1, 5), per_visit=st.integers(1, 3), per_day=st.integers(1, 4), plan=gives
)
def test_stamp_gives_never_pass_limits_and_rewards_follow_total(required, per_visit, per_day, plan):
    with transaction.atomic():
        # Given a stamp card with its limits
        moment = NOW
        clock.freeze(moment)
        store, staff, customer = StoreFactory(), StaffUserFactory(), CustomerFactory()
        reward = make_template(
            store, kind=CouponTemplate.Kind.FREE_ITEM, free_item="식혜", claimable=False,
            valid_until=NOW + dt.timedelta(days=400),
        )
        stamps.stamp_program_create(
            store=store, name="카드", stamps_required=required, reward=reward,
            per_visit_limit=per_visit, per_day_limit=per_day,
        )
        given_on: dict[dt.date, int] = {}  # stamps given on each KST calendar day
        total = 0
        # When stamps are asked for at each moment of the plan, Then each give is refused
        # exactly when it would pass the per-visit limit or the KST day's limit
        for days_on, minute, count in plan:
            moment = next_moment(moment, days_on, minute)
            clock.freeze(moment)
            day = moment.astimezone(KST).date()  # the KST day, never the UTC one
            allowed = count <= per_visit and given_on.get(day, 0) + count <= per_day
            try:
                result = stamps.stamp_give(
                    store=store, staff=staff, customer=customer, count=count
                )
            except (errors.StampVisitLimit, errors.StampDayLimit):
                assert not allowed, (f"{moment.astimezone(KST):%Y-%m-%d %H:%M} KST", given_on)
            else:
                assert allowed, (f"{moment.astimezone(KST):%Y-%m-%d %H:%M} KST", given_on)
                assert result.stamp.day == day
                given_on[day] = given_on.get(day, 0) + count
                total += count
                assert result.card.stamps == total % required
        # and no day passed its limit, and one reward was issued per full card
        assert all(n <= per_day for n in given_on.values())
        rewards = Coupon.objects.filter(customer=customer, source=Coupon.Source.STAMP).count()
        assert rewards == total // required
        transaction.set_rollback(True)
    clock.freeze(None)
