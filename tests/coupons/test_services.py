import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from dangol.core.errors import IdempotencyKeyReused
from dangol.coupons import errors, selectors, services, stamps
from dangol.coupons.models import Coupon, CouponTemplate, Stamp, StampCard
from dangol.regulars.services import follow_create
from tests.coupons.utils import NOW, make_program, make_template
from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory

pytestmark = pytest.mark.django_db

US = dt.timedelta(microseconds=1)


@pytest.fixture
def store(frozen_clock):
    frozen_clock(NOW)
    return StoreFactory()


@pytest.fixture
def staff():
    return StaffUserFactory()


def claim(template, customer=None):
    return services.coupon_claim(template=template, customer=customer or CustomerFactory())


# --- templates --------------------------------------------------------------------------------


def test_template_create_refuses_window_that_ends_before_it_starts(store):
    with pytest.raises(errors.InvalidCouponTemplate, match="사용 종료는 사용 시작보다"):
        make_template(store, valid_until=NOW - dt.timedelta(days=2))


def test_template_create_refuses_percent_off_without_cap(store):
    with pytest.raises(errors.InvalidCouponTemplate, match="최대 할인 금액"):
        make_template(store, kind=CouponTemplate.Kind.PERCENT_OFF, amount_off=0, percent_off=10)


def test_template_update_changes_fields_and_refuses_quantity_below_issued(store):
    template = make_template(store, total_quantity=5)
    claim(template)
    claim(template)

    updated = services.coupon_template_update(template=template, name="새 이름", total_quantity=3)
    assert updated.name == "새 이름" and updated.total_quantity == 3
    with pytest.raises(errors.InvalidCouponTemplate, match="이미 발급한 수량"):
        services.coupon_template_update(template=template, total_quantity=1)


# --- discount ---------------------------------------------------------------------------------


def test_amount_off_never_takes_more_than_the_purchase(store, staff):
    coupon = claim(make_template(store, amount_off=3000))

    redeemed = services.coupon_redeem(
        store=store, staff=staff, code=coupon.code, purchase_amount=2000
    )

    assert redeemed.discount_amount == 2000
    assert redeemed.status == Coupon.Status.REDEEMED and redeemed.redeemed_by == staff


def test_percent_off_is_capped(store, staff):
    template = make_template(
        store, kind=CouponTemplate.Kind.PERCENT_OFF, amount_off=0, percent_off=20, max_discount=5000
    )
    small, big = claim(template), claim(template)

    assert services.coupon_redeem(
        store=store, staff=staff, code=small.code, purchase_amount=10_000
    ).discount_amount == 2000
    assert services.coupon_redeem(
        store=store, staff=staff, code=big.code, purchase_amount=100_000
    ).discount_amount == 5000


def test_percent_off_needs_the_purchase_amount(store, staff):
    template = make_template(
        store, kind=CouponTemplate.Kind.PERCENT_OFF, amount_off=0, percent_off=10, max_discount=1000
    )
    coupon = claim(template)
    with pytest.raises(errors.PurchaseAmountRequired, match="구매 금액을 입력"):
        services.coupon_redeem(store=store, staff=staff, code=coupon.code)


def test_free_item_redeems_with_no_discount_in_won(store, staff):
    coupon = claim(make_template(store, kind=CouponTemplate.Kind.FREE_ITEM, amount_off=0,
                                 free_item="어묵 한 꼬치"))
    assert services.coupon_redeem(store=store, staff=staff, code=coupon.code).discount_amount == 0


def test_redeem_refuses_purchase_below_minimum(store, staff):
    coupon = claim(make_template(store, minimum_purchase=10_000))

    with pytest.raises(errors.BelowMinimumPurchase, match="최소 구매 금액 ₩10,000 이상"):
        services.coupon_redeem(store=store, staff=staff, code=coupon.code, purchase_amount=9_999)
    assert services.coupon_redeem(
        store=store, staff=staff, code=coupon.code, purchase_amount=10_000
    ).status == Coupon.Status.REDEEMED


# --- refusals ---------------------------------------------------------------------------------


def test_redeem_refuses_second_use_of_same_coupon(store, staff):
    coupon = claim(make_template(store))
    services.coupon_redeem(store=store, staff=staff, code=coupon.code)

    with pytest.raises(errors.CouponAlreadyUsed, match="이미 사용한 쿠폰입니다"):
        services.coupon_redeem(store=store, staff=staff, code=coupon.code)
    with pytest.raises(errors.CouponAlreadyUsed):
        services.coupon_redeem(store=store, staff=staff, token=coupon.token)


def test_redeem_refuses_another_stores_coupon_by_token_and_by_code(store, staff):
    other = StoreFactory(name="옆집 반찬")
    coupon = claim(make_template(other))

    with pytest.raises(errors.CouponForeign, match="다른 가게의 쿠폰입니다") as by_token:
        services.coupon_redeem(store=store, staff=staff, token=coupon.token)
    assert "옆집 반찬" in by_token.value.message
    with pytest.raises(errors.CouponForeign, match="다른 가게의 쿠폰입니다"):
        services.coupon_redeem(store=store, staff=staff, code=coupon.code)


def test_redeem_refuses_unknown_code_and_token(store, staff):
    with pytest.raises(errors.CouponNotFound, match="쿠폰을 찾을 수 없습니다"):
        services.coupon_redeem(store=store, staff=staff, code="000000")
    with pytest.raises(errors.CouponNotFound):
        services.coupon_redeem(store=store, staff=staff, token="no-such-token")
    with pytest.raises(errors.CouponNotFound):
        services.coupon_redeem(store=store, staff=staff, code="12ab")


def test_redeem_refuses_deactivated_template(store, staff):
    template = make_template(store)
    coupon = claim(template)
    services.coupon_template_update(template=template, is_active=False)

    with pytest.raises(errors.CouponInactive, match="사용을 중지한"):
        services.coupon_redeem(store=store, staff=staff, code=coupon.code)


@pytest.mark.parametrize(
    ("offset", "error"),
    [
        (-US, errors.CouponNotYetValid),
        (dt.timedelta(0), None),
        (dt.timedelta(days=2) - US, None),
        (dt.timedelta(days=2), errors.CouponExpired),
    ],
    ids=["just-before-start", "at-start", "just-before-end", "at-end"],
)
def test_window_boundaries_at_exact_instants(store, staff, frozen_clock, offset, error):
    start = NOW + dt.timedelta(hours=1)
    template = make_template(store, valid_from=start, valid_until=start + dt.timedelta(days=2))
    coupon = claim(template)
    frozen_clock(start + offset)

    if error is None:
        assert services.coupon_redeem(store=store, staff=staff, code=coupon.code).redeemed_at
    else:
        with pytest.raises(error):
            services.coupon_redeem(store=store, staff=staff, code=coupon.code)


def test_expired_message_says_until_when(store, staff, frozen_clock):
    coupon = claim(make_template(store, valid_until=NOW + dt.timedelta(hours=1)))
    frozen_clock(NOW + dt.timedelta(hours=2))
    with pytest.raises(errors.CouponExpired, match="사용 기간이 끝난 쿠폰입니다"):
        services.coupon_redeem(store=store, staff=staff, code=coupon.code)


def test_expire_due_marks_past_coupons_and_frees_their_code(store, staff, frozen_clock):
    coupon = claim(make_template(store, valid_until=NOW + dt.timedelta(hours=1)))
    frozen_clock(NOW + dt.timedelta(hours=2))

    assert services.coupons_expire_due() == 1
    assert services.coupons_expire_due() == 0
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.EXPIRED
    with pytest.raises(errors.CouponExpired):
        services.coupon_redeem(store=store, staff=staff, code=coupon.code)


# --- idempotency ------------------------------------------------------------------------------


def test_redeem_with_same_key_returns_first_result(store, staff):
    coupon = claim(make_template(store))
    first = services.coupon_redeem(
        store=store, staff=staff, code=coupon.code, purchase_amount=5000, idempotency_key="k1"
    )
    again = services.coupon_redeem(
        store=store, staff=staff, code=coupon.code, purchase_amount=5000, idempotency_key="k1"
    )
    assert again.pk == first.pk and again.redeemed_at == first.redeemed_at


def test_redeem_refuses_key_reused_for_another_coupon(store, staff):
    template = make_template(store)
    one, two = claim(template), claim(template)
    services.coupon_redeem(store=store, staff=staff, code=one.code, idempotency_key="k1")
    with pytest.raises(IdempotencyKeyReused):
        services.coupon_redeem(store=store, staff=staff, code=two.code, idempotency_key="k1")


# --- codes ------------------------------------------------------------------------------------


def test_live_code_is_unique_per_store_but_reusable_after_redemption(store, staff):
    template = make_template(store)
    coupon = claim(template)
    duplicate = dict(template=template, store=store, customer=CustomerFactory(),
                     source=Coupon.Source.CLAIM, code=coupon.code, issued_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.create(token="another", **duplicate)

    services.coupon_redeem(store=store, staff=staff, code=coupon.code)
    Coupon.objects.create(token="third", **duplicate)
    Coupon.objects.create(store=StoreFactory(), token="fourth", **{
        k: v for k, v in duplicate.items() if k != "store"
    })


# --- claim and issue --------------------------------------------------------------------------


def test_claim_respects_per_customer_limit(store):
    template = make_template(store, per_customer_limit=2)
    customer = CustomerFactory()
    claim(template, customer)
    claim(template, customer)
    with pytest.raises(errors.CouponLimitReached, match="2장까지"):
        claim(template, customer)


def test_claim_respects_total_quantity(store):
    template = make_template(store, total_quantity=2)
    claim(template)
    claim(template)
    with pytest.raises(errors.CouponSoldOut):
        claim(template)
    template.refresh_from_db()
    assert template.issued_count == 2


def test_claim_refuses_issue_only_and_ended_templates(store, frozen_clock):
    with pytest.raises(errors.CouponNotClaimable):
        claim(make_template(store, claimable=False))
    template = make_template(store, valid_until=NOW + dt.timedelta(hours=1))
    frozen_clock(NOW + dt.timedelta(hours=1))
    with pytest.raises(errors.CouponExpired):
        claim(template)


def test_issue_to_regulars_gives_each_follower_one_coupon(store):
    followers = [CustomerFactory() for _ in range(4)]
    for customer in followers:
        follow_create(customer=customer, store=store)
    follow_create(customer=CustomerFactory(), store=StoreFactory())
    template = make_template(store)

    assert services.coupon_issue_to_regulars(template=template) == 4
    assert set(template.coupons.values_list("customer_id", flat=True)) == {c.pk for c in followers}
    assert services.coupon_issue_to_regulars(template=template) == 0
    template.refresh_from_db()
    assert template.issued_count == 4
    codes = list(template.coupons.values_list("code", flat=True))
    assert len(set(codes)) == 4


def test_issue_to_regulars_respects_quantity_and_per_customer_limit(store):
    followers = [CustomerFactory() for _ in range(5)]
    for customer in followers:
        follow_create(customer=customer, store=store)
    template = make_template(store, total_quantity=7, per_customer_limit=2)
    claim(template, followers[0])

    assert services.coupon_issue_to_regulars(template=template) == 5
    assert services.coupon_issue_to_regulars(template=template) == 1
    assert services.coupon_issue_to_regulars(template=template) == 0
    counts = sorted(
        template.coupons.filter(customer=c).count() for c in followers
    )
    assert counts == [1, 1, 1, 2, 2]


def test_issue_to_regulars_runs_constant_queries(store, django_assert_max_num_queries):
    for _ in range(30):
        follow_create(customer=CustomerFactory(), store=store)
    template = make_template(store)

    with django_assert_max_num_queries(10):
        assert services.coupon_issue_to_regulars(template=template) == 30


# --- stamps -----------------------------------------------------------------------------------


def test_stamp_give_by_code_and_by_phone(store, staff):
    make_program(store)
    customer = CustomerFactory(phone="+821055550001")
    follow_create(customer=customer, store=store)
    code = stamps.customer_code_get_or_create(customer=customer)
    assert stamps.customer_code_get_or_create(customer=customer) == code

    stamps.stamp_give(store=store, staff=staff, customer_code=code.code)
    result = stamps.stamp_give(store=store, staff=staff, phone="010-5555-0001")

    assert result.card.stamps == 2 and result.card.customer == customer


def test_stamp_give_refuses_unknown_customer_and_store_without_program(store, staff):
    with pytest.raises(errors.NoStampProgram):
        stamps.stamp_give(store=store, staff=staff, phone="010-5555-0002")
    make_program(store)
    with pytest.raises(errors.CustomerNotFound, match="고객을 찾을 수 없습니다"):
        stamps.stamp_give(store=store, staff=staff, customer_code="99999999")


def test_stamp_by_phone_reaches_only_the_store_s_regulars_and_answers_alike(store, staff):
    # The probe: any number with an account could be stamped (and so told apart from a
    # number without one). By phone, only a follower of this store is found.
    make_program(store)
    stranger = CustomerFactory(phone="+821055550003")
    follow_create(customer=stranger, store=StoreFactory(market=store.market))
    refusals = []
    for phone in ("010-5555-0003", "010-5555-0004"):  # an account elsewhere / no account
        with pytest.raises(errors.CustomerNotFound) as refused:
            stamps.stamp_give(store=store, staff=staff, phone=phone)
        refusals.append((refused.value.code, refused.value.status, refused.value.message))
    assert refusals[0] == refusals[1]
    assert not StampCard.objects.exists() and not Stamp.objects.exists()
    follow_create(customer=stranger, store=store)
    assert stamps.stamp_give(store=store, staff=staff, phone="010-5555-0003").card.stamps == 1


def test_stamp_give_refuses_over_per_visit_limit(store, staff):
    make_program(store, per_visit_limit=2, per_day_limit=5)
    with pytest.raises(errors.StampVisitLimit, match="한 번에 스탬프를 2개까지만"):
        stamps.stamp_give(store=store, staff=staff, customer=CustomerFactory(), count=3)


def test_stamp_give_refuses_over_per_day_limit_until_next_kst_day(store, staff, frozen_clock):
    make_program(store, per_visit_limit=2, per_day_limit=2, stamps_required=10)
    customer = CustomerFactory()
    frozen_clock(NOW.replace(hour=23, minute=59))
    stamps.stamp_give(store=store, staff=staff, customer=customer, count=2)

    with pytest.raises(errors.StampDayLimit, match="오늘은 이미 스탬프 2개를 받았습니다"):
        stamps.stamp_give(store=store, staff=staff, customer=customer)
    frozen_clock(NOW.replace(hour=23, minute=59) + dt.timedelta(minutes=1))
    assert stamps.stamp_give(store=store, staff=staff, customer=customer).card.stamps == 3


def test_full_card_issues_reward_and_carries_extra_stamps(store, staff, frozen_clock):
    program = make_program(store, stamps_required=3, per_visit_limit=2, per_day_limit=2)
    customer = CustomerFactory()
    stamps.stamp_give(store=store, staff=staff, customer=customer, count=2)
    frozen_clock(NOW + dt.timedelta(days=1))

    result = stamps.stamp_give(store=store, staff=staff, customer=customer, count=2)

    assert result.card.stamps == 1 and result.card.completed_count == 1
    assert [c.template_id for c in result.rewards] == [program.reward_id]
    assert result.rewards[0].customer == customer and result.rewards[0].source == "stamp"


def test_stamp_give_with_same_key_returns_first_result(store, staff):
    make_program(store, stamps_required=2)
    customer = CustomerFactory()
    first = stamps.stamp_give(store=store, staff=staff, customer=customer, count=2,
                                idempotency_key="pos-1")
    again = stamps.stamp_give(store=store, staff=staff, customer=customer, count=2,
                                idempotency_key="pos-1")
    assert again.stamp.pk == first.stamp.pk
    assert [c.pk for c in again.rewards] == [c.pk for c in first.rewards]
    assert Stamp.objects.count() == 1 and Coupon.objects.count() == 1
    with pytest.raises(IdempotencyKeyReused):
        stamps.stamp_give(store=store, staff=staff, customer=customer, count=1,
                            idempotency_key="pos-1")


def test_stamp_program_needs_unlimited_reward_of_same_store(store):
    with pytest.raises(errors.InvalidStampProgram, match="수량 제한"):
        stamps.stamp_program_create(
            store=store, name="x", stamps_required=5, reward=make_template(store, total_quantity=9)
        )
    with pytest.raises(errors.InvalidStampProgram, match="같은 가게"):
        stamps.stamp_program_create(
            store=store, name="x", stamps_required=5, reward=make_template(StoreFactory())
        )


# --- selectors --------------------------------------------------------------------------------


def test_daily_counts_follow_the_kst_day(store, staff, frozen_clock):
    make_program(store, per_day_limit=5, per_visit_limit=5, stamps_required=50)
    template = make_template(store)
    day = NOW.date()
    frozen_clock(NOW.replace(hour=0, minute=0))  # 00:00 KST is still 'today' in Korea
    services.coupon_redeem(store=store, staff=staff, code=claim(template).code)
    stamps.stamp_give(store=store, staff=staff, customer=CustomerFactory(), count=3)
    frozen_clock(NOW.replace(hour=0, minute=0) - US)
    services.coupon_redeem(store=store, staff=staff, code=claim(template).code)
    stamps.stamp_give(store=store, staff=staff, customer=CustomerFactory(), count=1)

    assert selectors.coupons_redeemed_count(store=store, day=day) == 1
    assert selectors.stamps_given_count(store=store, day=day) == 3
    assert selectors.stamps_given_count(store=store, day=day - dt.timedelta(days=1)) == 1
    assert StampCard.objects.count() == 2


def test_wallet_splits_usable_used_and_expired(store, staff, frozen_clock):
    customer = CustomerFactory()
    usable = claim(make_template(store), customer)
    used = claim(make_template(store), customer)
    expired = claim(make_template(store, valid_until=NOW + dt.timedelta(hours=1)), customer)
    services.coupon_redeem(store=store, staff=staff, code=used.code)
    frozen_clock(NOW + dt.timedelta(hours=1))

    wallet = selectors.wallet_for(customer=customer)

    assert [c.pk for c in wallet.usable] == [usable.pk]
    assert [c.pk for c in wallet.used] == [used.pk]
    assert [c.pk for c in wallet.expired] == [expired.pk]
