"""Voucher services: products, purchase, gift, redemption, refund rules, extension, notices."""

import datetime as dt
from unittest import mock

import pytest
from django.test import override_settings

from dangol.core.clock import KST, kst
from dangol.core.phone import InvalidPhone
from dangol.ledger import catalogue
from dangol.ledger.models import Account
from dangol.notices.models import Notice
from dangol.payments.errors import PaymentPending, ProviderTimeout
from dangol.payments.models import Payment, SandboxCharge
from dangol.payments.providers.sandbox import CARD_DECLINE, SandboxProvider
from dangol.vouchers import rules, selectors, services, validity
from dangol.vouchers.errors import (
    ExtensionRefused,
    FeeAboveCap,
    InsufficientBalance,
    InvalidVoucherProduct,
    NotAccepted,
    PartialUseNotAllowed,
    PurchaseFailed,
    RefundFailed,
    RefundRefused,
    VoucherExpired,
    VoucherNotActive,
)
from dangol.vouchers.models import Refund, Voucher, VoucherProduct
from dangol.vouchers.selectors import voucher_account
from tests.factories import CustomerFactory, MarketFactory, StaffUserFactory, StoreFactory
from tests.vouchers.conftest import assert_consistent, buy, key, make_product

pytestmark = pytest.mark.django_db

BOUGHT_AT = kst(2026, 3, 2, 10, 0)


@pytest.fixture
def store():
    return StoreFactory()


@pytest.fixture
def staff():
    return StaffUserFactory()


@pytest.fixture
def buyer():
    return CustomerFactory()


@pytest.fixture
def bought(frozen_clock):
    frozen_clock(BOUGHT_AT)
    return frozen_clock


def redeem(voucher, store, amount, staff):
    return services.voucher_redeem(
        voucher=voucher, store=store, amount=amount, staff=staff, idempotency_key=key("use")
    )


def account(owner_type, owner_id, kind):
    return Account.objects.get(owner_type=owner_type, owner_id=owner_id, kind=kind)


# --- products ---------------------------------------------------------------------------------


def test_product_fee_at_cap_is_accepted(store):
    assert make_product(store, fee_bp=800).fee_bp == 800


def test_product_fee_above_cap_is_refused(store):
    with pytest.raises(FeeAboveCap):
        make_product(store, fee_bp=801)


@override_settings(DANGOL_VOUCHER_FEE_CAP_BP=500)
def test_product_fee_cap_follows_settings(store):
    with pytest.raises(FeeAboveCap):
        make_product(store, fee_bp=501)


def test_product_sale_price_above_face_is_refused(store):
    with pytest.raises(InvalidVoucherProduct):
        make_product(store, sale_price=10_001)


@pytest.mark.parametrize(
    ("months", "perishable", "ok"),
    [(12, False, True), (11, False, False), (3, True, True), (2, True, False)],
)
def test_product_validity_minimum(store, months, perishable, ok):
    if ok:
        make_product(store, validity_months=months, is_perishable=perishable)
    else:
        with pytest.raises(InvalidVoucherProduct):
            make_product(store, validity_months=months, is_perishable=perishable)


def test_product_voucher_needs_a_product_name(store):
    with pytest.raises(InvalidVoucherProduct):
        make_product(store, kind=VoucherProduct.Kind.PRODUCT)


def test_accepted_stores_must_belong_to_the_market(store):
    with pytest.raises(InvalidVoucherProduct):
        make_product(store, market=MarketFactory(), accepted_stores=[store])


# --- purchase -----------------------------------------------------------------------------------


def test_purchase_books_cash_discount_and_liability(store, buyer, bought):
    product = make_product(store, face_value=10_000, sale_price=9_000)

    voucher = buy(product, buyer)

    assert voucher.balance == voucher.face_value == 10_000
    assert voucher.payment.status == Payment.Status.CAPTURED
    assert voucher.payment.amount == 9_000
    assert account("store", store.pk, Account.Kind.DISCOUNT_EXPENSE).balance == -1_000
    assert voucher.holder == buyer and voucher.holder_phone == buyer.phone
    assert voucher.expires_at == kst(2027, 3, 2)  # usable through 2027-03-01
    assert_consistent(voucher)


def test_purchase_retry_with_same_key_charges_once(store, buyer):
    product = make_product(store)
    first = services.voucher_purchase(
        product=product, buyer=buyer, card_number="4000000000000002", idempotency_key="same"
    )

    again = services.voucher_purchase(
        product=product, buyer=buyer, card_number="4000000000000002", idempotency_key="same"
    )

    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert_consistent(first)


def test_purchase_with_declined_card_issues_nothing(store, buyer):
    with pytest.raises(PurchaseFailed):
        services.voucher_purchase(
            product=make_product(store), buyer=buyer, card_number=CARD_DECLINE,
            idempotency_key=key(),
        )
    assert not Voucher.objects.exists()


# --- gift ---------------------------------------------------------------------------------------


def test_gift_moves_the_voucher_to_the_phone_and_notifies_it(store, buyer):
    voucher = buy(make_product(store), buyer)

    services.voucher_gift(voucher=voucher, to_phone="010-9876-5432", message="생일 축하해")

    voucher.refresh_from_db()
    assert voucher.holder_phone == "+821098765432"
    assert voucher.holder is None
    notice = Notice.objects.get(phone="+821098765432")
    assert notice.kind == Notice.Kind.VOUCHER_RECEIVED
    assert "생일 축하해" in notice.body


def test_gift_to_a_registered_number_makes_its_user_the_holder(store, buyer):
    friend = CustomerFactory(phone="+821055556666")
    voucher = buy(make_product(store), buyer)

    services.voucher_gift(voucher=voucher, to_phone="01055556666")

    voucher.refresh_from_db()
    assert voucher.holder == friend


def test_gift_rekeys_the_voucher_so_the_givers_code_and_qr_are_void(store, buyer, staff):
    # Given a voucher whose code and QR token the giver has seen
    voucher = buy(make_product(store), buyer)
    old_code, old_token = voucher.code, voucher.qr_token

    # When it is gifted
    services.voucher_gift(voucher=voucher, to_phone="010-9876-5432")

    # Then it carries a new code and QR token, and the old ones find nothing
    voucher.refresh_from_db()
    assert voucher.code != old_code and voucher.qr_token != old_token
    assert selectors.voucher_by_code(code=old_code) is None
    assert selectors.voucher_by_token(token=old_token) is None
    assert selectors.voucher_by_code(code=voucher.code) == voucher
    assert selectors.voucher_by_token(token=voucher.qr_token) == voucher


def test_gift_to_a_landline_is_refused(store, buyer):
    with pytest.raises(InvalidPhone):
        services.voucher_gift(voucher=buy(make_product(store), buyer), to_phone="051-544-1234")


# --- redemption ---------------------------------------------------------------------------------


def test_partial_redemption_pays_the_store_less_the_fee(store, buyer, staff):
    voucher = buy(make_product(store, fee_bp=300), buyer)

    redemption = redeem(voucher, store, 3_333, staff)

    assert redemption.fee == 99  # 3% of 3,333 = 99.99, rounded down
    assert account("store", store.pk, Account.Kind.STORE_PAYABLE).balance == 3_234
    assert voucher.balance == 6_667
    assert_consistent(voucher)


def test_full_redemption_marks_the_voucher_used(store, buyer, staff):
    voucher = buy(make_product(store), buyer)

    redeem(voucher, store, 10_000, staff)

    voucher.refresh_from_db()
    assert (voucher.balance, voucher.status) == (0, Voucher.Status.USED)
    assert_consistent(voucher)


def test_redeem_retry_with_same_key_takes_the_amount_once(store, buyer, staff):
    voucher = buy(make_product(store), buyer)
    args = {"voucher": voucher, "store": store, "amount": 4_000, "staff": staff,
            "idempotency_key": "pos-1"}

    first = services.voucher_redeem(**args)
    again = services.voucher_redeem(**args)

    assert again.pk == first.pk
    voucher.refresh_from_db()
    assert voucher.balance == 6_000


def test_redeem_rejects_second_spend_of_same_balance(store, buyer, staff):
    voucher = buy(make_product(store), buyer)
    redeem(voucher, store, 8_000, staff)

    with pytest.raises(InsufficientBalance, match="잔액이 부족"):
        redeem(voucher, store, 2_001, staff)
    assert_consistent(voucher)


def test_redeem_refuses_another_store_for_a_store_voucher(store, buyer, staff):
    voucher = buy(make_product(store), buyer)

    with pytest.raises(NotAccepted, match="사용할 수 없는 상품권"):
        redeem(voucher, StoreFactory(market=store.market), 1_000, staff)


def test_market_voucher_is_accepted_at_every_store_of_the_market(store, buyer, staff):
    other = StoreFactory(market=store.market)
    voucher = buy(make_product(store, market=store.market), buyer)

    redeem(voucher, store, 4_000, staff)
    redeem(voucher, other, 6_000, staff)

    with pytest.raises(NotAccepted):
        redeem(buy(make_product(store, market=store.market), buyer), StoreFactory(), 1, staff)
    assert account("store", other.pk, Account.Kind.STORE_PAYABLE).balance == 5_820
    assert_consistent(voucher)


def test_market_voucher_with_a_list_is_accepted_only_there(store, buyer, staff):
    listed = StoreFactory(market=store.market)
    voucher = buy(make_product(store, market=store.market, accepted_stores=[listed]), buyer)

    redeem(voucher, listed, 1_000, staff)
    with pytest.raises(NotAccepted):
        redeem(voucher, store, 1_000, staff)


def test_redeem_refuses_at_the_expiry_instant(store, buyer, staff, bought):
    voucher = buy(make_product(store), buyer)
    bought(voucher.expires_at - dt.timedelta(microseconds=1))
    redeem(voucher, store, 1_000, staff)

    bought(voucher.expires_at)

    with pytest.raises(VoucherExpired, match="유효기간"):
        redeem(voucher, store, 1_000, staff)


def test_product_voucher_refuses_partial_use(store, buyer, staff):
    product = make_product(
        store, kind=VoucherProduct.Kind.PRODUCT, product_name="고등어 1손", face_value=12_000,
        sale_price=12_000,
    )
    voucher = buy(product, buyer)

    with pytest.raises(PartialUseNotAllowed, match="나누어 쓸 수 없습니다"):
        redeem(voucher, store, 6_000, staff)
    redeem(voucher, store, 12_000, staff)
    assert_consistent(voucher)


def test_fee_is_never_above_the_cap_even_when_the_cap_is_lowered(store, buyer, staff):
    voucher = buy(make_product(store, fee_bp=800), buyer)

    with override_settings(DANGOL_VOUCHER_FEE_CAP_BP=200):
        redemption = redeem(voucher, store, 10_000, staff)

    assert redemption.fee == 200


@pytest.mark.parametrize("amount", [1, 12, 13, 99, 9_999, 10_000])
def test_fee_at_the_cap_never_exceeds_eight_percent(store, buyer, staff, amount):
    voucher = buy(make_product(store, fee_bp=800), buyer)

    redemption = redeem(voucher, store, amount, staff)

    assert redemption.fee * 10_000 <= amount * 800
    assert_consistent(voucher)


def test_redeem_refuses_a_refunded_voucher(store, buyer, staff):
    voucher = buy(make_product(store), buyer)
    services.voucher_refund(voucher=voucher, idempotency_key=key())

    with pytest.raises(VoucherNotActive):
        redeem(voucher, store, 1_000, staff)


# --- refunds (신유형 상품권 표준약관) -----------------------------------------------------------


def test_full_refund_on_day_seven_returns_the_sale_price(store, buyer, bought):
    voucher = buy(make_product(store, face_value=10_000, sale_price=9_000), buyer)
    bought(kst(2026, 3, 9, 23, 59))

    refund = services.voucher_refund(voucher=voucher, idempotency_key=key())

    assert (refund.rule, refund.amount) == (Refund.Rule.WITHDRAWAL, 9_000)
    assert refund.paid_at is not None
    voucher.payment.refresh_from_db()
    assert voucher.payment.status == Payment.Status.REFUNDED
    assert account("store", store.pk, Account.Kind.DISCOUNT_EXPENSE).balance == 0
    assert account("", None, Account.Kind.REFUND_CLEARING).balance == 0
    assert_consistent(voucher)


def test_full_refund_is_refused_on_day_eight(store, buyer, bought):
    voucher = buy(make_product(store, face_value=50_000, sale_price=50_000), buyer)
    bought(kst(2026, 3, 10, 0, 0))

    with pytest.raises(RefundRefused, match="60%"):
        services.voucher_refund(voucher=voucher, idempotency_key=key())


def test_full_refund_within_seven_days_needs_an_unused_voucher(store, buyer, staff, bought):
    voucher = buy(make_product(store, face_value=50_000, sale_price=50_000), buyer)
    redeem(voucher, store, 1_000, staff)

    with pytest.raises(RefundRefused):
        services.voucher_refund(voucher=voucher, idempotency_key=key())


@pytest.mark.parametrize(("used", "ok"), [(59_900, False), (60_000, True)])
def test_balance_refund_from_sixty_percent_used(store, buyer, staff, bought, used, ok):
    voucher = buy(make_product(store, face_value=100_000, sale_price=100_000), buyer)
    redeem(voucher, store, used, staff)
    bought(kst(2026, 4, 1))

    if not ok:
        with pytest.raises(RefundRefused, match="60%"):
            services.voucher_refund(voucher=voucher, idempotency_key=key())
        return
    refund = services.voucher_refund(voucher=voucher, idempotency_key=key())
    assert (refund.rule, refund.amount) == (Refund.Rule.BALANCE, 40_000)
    assert_consistent(voucher)


@pytest.mark.parametrize(("used", "ok"), [(7_900, False), (8_000, True)])
def test_balance_refund_of_small_voucher_from_eighty_percent(store, buyer, staff, bought, used, ok):
    voucher = buy(make_product(store, face_value=10_000, sale_price=10_000), buyer)
    redeem(voucher, store, used, staff)
    bought(kst(2026, 4, 1))

    if not ok:
        with pytest.raises(RefundRefused, match="80%"):
            services.voucher_refund(voucher=voucher, idempotency_key=key())
        return
    refund = services.voucher_refund(voucher=voucher, idempotency_key=key())
    assert (refund.rule, refund.amount) == (Refund.Rule.BALANCE, 2_000)
    assert_consistent(voucher)


def test_balance_refund_pays_the_paid_share_and_returns_the_discount(store, buyer, staff, bought):
    voucher = buy(make_product(store, face_value=100_000, sale_price=90_000), buyer)
    redeem(voucher, store, 60_000, staff)
    bought(kst(2026, 4, 1))

    refund = services.voucher_refund(voucher=voucher, idempotency_key=key())

    assert refund.amount == 36_000
    assert account("store", store.pk, Account.Kind.DISCOUNT_EXPENSE).balance == -6_000
    assert_consistent(voucher)


def test_after_expiry_ninety_percent_is_refunded(store, buyer, staff, bought):
    voucher = buy(make_product(store), buyer)
    redeem(voucher, store, 1_000, staff)
    bought(voucher.expires_at)

    refund = services.voucher_refund(voucher=voucher, idempotency_key=key())

    assert (refund.rule, refund.amount) == (Refund.Rule.AFTER_EXPIRY, 8_100)
    assert account("store", store.pk, Account.Kind.DISCOUNT_EXPENSE).balance == 900
    assert_consistent(voucher)


def test_after_expiry_refund_ends_five_years_after_expiry(store, buyer, bought):
    voucher = buy(make_product(store), buyer)
    five_years = rules.add_months(voucher.expires_at, 60)
    bought(five_years - dt.timedelta(microseconds=1))
    rules.voucher_refund_check(voucher=voucher)

    bought(five_years)

    with pytest.raises(RefundRefused, match="5년"):
        services.voucher_refund(voucher=voucher, idempotency_key=key())


def test_refund_retry_with_same_key_refunds_once(store, buyer):
    voucher = buy(make_product(store), buyer)

    first = services.voucher_refund(voucher=voucher, idempotency_key="r-1")
    again = services.voucher_refund(voucher=voucher, idempotency_key="r-1")

    assert again.pk == first.pk
    with pytest.raises(RefundRefused, match="이미 환불"):
        services.voucher_refund(voucher=voucher, idempotency_key="r-2")
    assert_consistent(voucher)


def _sandbox_charge(voucher):
    return SandboxCharge.objects.get(key=Payment.objects.get(voucher=voucher).provider_key)


def test_refund_the_provider_refuses_rolls_back_and_a_retry_with_its_key_completes(store, buyer):
    # Given a voucher whose card payment the provider will refuse to refund for now
    voucher = buy(make_product(store), buyer)
    charge = _sandbox_charge(voucher)
    charge.status = SandboxCharge.Status.CANCELLED
    charge.save(update_fields=["status"])

    # When its refund is asked for, the card refund fails after the booking
    with pytest.raises(RefundFailed):
        services.voucher_refund(voucher=voucher, idempotency_key="r-1")

    # Then nothing is left booked: the balance is back on the voucher, clearing is empty
    voucher.refresh_from_db()
    assert (voucher.balance, voucher.status) == (10_000, Voucher.Status.ACTIVE)
    assert not Refund.objects.exists()
    assert catalogue.refund_clearing_account().balance == 0
    assert_consistent(voucher)

    # and once the provider accepts, a retry with the same key refunds once, fully paid
    charge.status = SandboxCharge.Status.CAPTURED
    charge.save(update_fields=["status"])
    refund = services.voucher_refund(voucher=voucher, idempotency_key="r-1")
    again = services.voucher_refund(voucher=voucher, idempotency_key="r-1")

    assert again.pk == refund.pk and refund.paid_at is not None
    voucher.refresh_from_db()
    assert (voucher.balance, voucher.status) == (0, Voucher.Status.REFUNDED)
    assert catalogue.refund_clearing_account().balance == 0
    charge.refresh_from_db()
    assert charge.refunded_amount == 10_000
    assert_consistent(voucher)


def test_refund_the_provider_did_not_answer_stays_booked_and_a_retry_finishes_it(store, buyer,
                                                                                 settings):
    # Given a provider that times out on the first refund call
    settings.PAYMENTS_SANDBOX_TIMEOUT_SECONDS = 0.01
    voucher = buy(make_product(store), buyer)
    payment = Payment.objects.get(voucher=voucher)
    real_refund = SandboxProvider.refund
    calls = []

    def refund_timing_out(self, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise ProviderTimeout()
        return real_refund(self, **kwargs)

    with mock.patch.object(SandboxProvider, "refund", refund_timing_out):
        with pytest.raises(PaymentPending):
            services.voucher_refund(voucher=voucher, idempotency_key="r-1")
        # Then the refund stays booked (the outcome is unknown) ...
        assert Refund.objects.get().paid_at is None
        assert catalogue.refund_clearing_account().balance == 10_000

        # ... and a retry with the same key asks again under the same key and finishes it
        refund = services.voucher_refund(voucher=voucher, idempotency_key="r-1")

    assert refund.paid_at is not None and calls[0] == calls[1]
    assert catalogue.refund_clearing_account().balance == 0
    payment.refresh_from_db()
    assert payment.refunded_amount == 10_000
    assert_consistent(voucher)


# --- extension and expiry notices ---------------------------------------------------------------


def test_extension_adds_three_months_per_request(store, buyer, bought):
    voucher = buy(make_product(store), buyer)

    validity.voucher_extend(voucher=voucher)
    extended = validity.voucher_extend(voucher=voucher)

    assert extended.extended_until == kst(2027, 9, 2)
    assert extended.extension_count == 2


def test_extension_is_refused_after_expiry_and_past_the_limit(store, buyer, bought):
    voucher = buy(make_product(store), buyer)
    for _ in range(rules.MAX_EXTENSIONS):
        validity.voucher_extend(voucher=voucher)
    with pytest.raises(ExtensionRefused, match="4번"):
        validity.voucher_extend(voucher=voucher)

    other = buy(make_product(store), buyer)
    bought(other.expires_at)
    with pytest.raises(ExtensionRefused, match="유효기간"):
        validity.voucher_extend(voucher=other)


def test_extended_voucher_is_usable_after_its_original_expiry(store, buyer, staff, bought):
    # Given two vouchers bought at the same moment, of which only one is extended
    product = make_product(store, fee_bp=300)
    extended, not_extended = buy(product, buyer), buy(product, buyer)
    assert extended.expires_at == not_extended.expires_at
    validity.voucher_extend(voucher=extended)

    # When both are presented at the instant their original validity ends
    bought(extended.expires_at)
    redemption = redeem(extended, store, 1_000, staff)

    # Then the extended one is redeemed: ₩1,000 off, one redemption row, the ledger agrees
    extended.refresh_from_db()
    assert (extended.balance, extended.status) == (9_000, Voucher.Status.ACTIVE)
    assert list(extended.redemptions.values_list("pk", "store", "amount", "fee")) == [
        (redemption.pk, store.pk, 1_000, 30),
    ]
    assert voucher_account(voucher=extended).balance == 9_000
    assert account("store", store.pk, Account.Kind.STORE_PAYABLE).balance == 970
    assert account("store", store.pk, Account.Kind.PLATFORM_FEE_REVENUE).balance == 30
    assert_consistent(extended, not_extended)
    # and the one without the extension is refused as expired, its balance untouched
    with pytest.raises(VoucherExpired, match="유효기간"):
        redeem(not_extended, store, 1_000, staff)
    not_extended.refresh_from_db()
    assert not_extended.balance == 10_000
    assert not not_extended.redemptions.exists()


def test_expiry_notice_is_sent_thirty_days_before_once(store, buyer, bought):
    voucher = buy(make_product(store), buyer)
    bought(voucher.expires_at - dt.timedelta(days=30, minutes=1))
    assert validity.vouchers_notify_expiring() == 0

    bought(voucher.expires_at - dt.timedelta(days=30))
    validity.vouchers_notify_expiring()
    validity.vouchers_notify_expiring()

    notice = Notice.objects.get(kind=Notice.Kind.EXPIRY)
    assert notice.user == buyer
    assert "2027-03-01" in notice.body


def test_expiry_notice_task_skips_used_vouchers(store, buyer, staff, bought):
    from dangol.vouchers.tasks import voucher_expiry_notices

    voucher = buy(make_product(store), buyer)
    redeem(voucher, store, 10_000, staff)
    bought(voucher.expires_at - dt.timedelta(days=1))

    voucher_expiry_notices.call_local()

    assert not Notice.objects.filter(kind=Notice.Kind.EXPIRY).exists()


def test_expiry_is_the_end_of_the_kst_day(store, buyer, bought):
    voucher = buy(make_product(store, validity_months=12), buyer)

    # Bought 2026-03-02 10:00 KST: usable through the whole of 2027-03-01
    assert voucher.expires_at.astimezone(KST) == kst(2027, 3, 2)


def test_gift_of_an_expired_voucher_is_refused(store, buyer, bought):
    voucher = buy(make_product(store), buyer)
    bought(voucher.expires_at)

    with pytest.raises(VoucherExpired):
        services.voucher_gift(voucher=voucher, to_phone="01098765432")


def test_refund_of_a_voucher_with_nothing_left_is_refused(store, buyer, staff):
    voucher = buy(make_product(store), buyer)
    redeem(voucher, store, 10_000, staff)

    with pytest.raises(RefundRefused, match="잔액이 없습니다"):
        services.voucher_refund(voucher=voucher, idempotency_key=key())
