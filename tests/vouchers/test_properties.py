"""Hypothesis: random purchases, gifts, partial redemptions, refunds, extensions and the
passing of time keep every ledger invariant (DESIGN.md §5) and every voucher's balance
equal to its ledger account; each request gets the answer a model of the voucher predicts,
down to the class of the refusal and the refund's rule and amount."""

import calendar
import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from dangol.core import clock
from dangol.core.clock import KST, kst
from dangol.ledger.models import Account
from dangol.ledger.selectors import ledger_verify
from dangol.payments.providers.sandbox import CARD_APPROVE
from dangol.vouchers import rules, services, validity
from dangol.vouchers.errors import (
    ExtensionRefused,
    InsufficientBalance,
    NotAccepted,
    PartialUseNotAllowed,
    RefundRefused,
    VoucherError,
    VoucherExpired,
    VoucherNotActive,
)
from dangol.vouchers.models import Redemption, Refund, Voucher, VoucherProduct
from dangol.vouchers.selectors import voucher_account
from tests.factories import CustomerFactory, MarketFactory, StaffUserFactory, StoreFactory

pytestmark = pytest.mark.django_db

START = kst(2026, 5, 1, 9, 0)


@dataclass
class Modelled:
    """What the machine expects of one voucher, kept apart from the database."""

    product: int
    face: int
    sale: int
    kind: str
    purchased_at: dt.datetime
    valid_until: dt.datetime
    balance: int
    extensions: int = 0
    refunded: bool = False

    @property
    def status(self) -> str:
        if self.refunded:
            return Voucher.Status.REFUNDED
        return Voucher.Status.ACTIVE if self.balance else Voucher.Status.USED

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.valid_until


def end_of_validity(purchased_at: dt.datetime, validity_months: int) -> dt.datetime:
    """Usable through the day before the same date `validity_months` calendar months after
    the KST day of purchase (that day included), or through the month's last day if that
    date does not exist; expires at 00:00 KST the next day."""
    first = purchased_at.astimezone(KST).date()
    index = first.month - 1 + validity_months
    year, month = first.year + index // 12, index % 12 + 1
    if first.day <= calendar.monthrange(year, month)[1]:
        last_day = dt.date(year, month, first.day) - dt.timedelta(days=1)
    else:
        last_day = dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=KST)


def expected_refund(voucher: Modelled, now: dt.datetime) -> tuple[str, int] | None:
    """Return (rule, amount) of the refund the model allows at `now`, or None if refused
    (신유형 상품권 표준약관 as DESIGN.md §6 states it)."""
    if voucher.refunded or voucher.balance <= 0:
        return None
    paid_value = voucher.balance * voucher.sale // voucher.face
    if voucher.expired(now):
        if now >= rules.add_months(voucher.valid_until, 60):
            return None
        rule, amount = Refund.Rule.AFTER_EXPIRY, paid_value * 90 // 100
    else:
        used = voucher.face - voucher.balance
        days = (now.astimezone(KST).date() - voucher.purchased_at.astimezone(KST).date()).days
        threshold = 80 if voucher.face <= 10_000 else 60
        if days <= 7 and used == 0:
            rule, amount = Refund.Rule.WITHDRAWAL, voucher.sale
        elif used * 100 >= threshold * voucher.face:
            rule, amount = Refund.Rule.BALANCE, paid_value
        else:
            return None
    return (rule, amount) if amount > 0 else None


class VoucherMachine(RuleBasedStateMachine):
    """Two stores in one market and one outside it; a store voucher sold at a discount, a
    market-wide voucher, a small ₩10,000 voucher and an exchange voucher (교환권) of the store
    outside the market. The machine models every voucher (balance, validity, extensions,
    refund) and predicts, for each request, the answer or the exact refusal. Each run is
    rolled back at the end."""

    vouchers = Bundle("vouchers")

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.step = 0
        self.now = START
        self.expected: dict[int, Modelled] = {}
        self.redeemed = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        clock.freeze(None)

    def _key(self) -> str:
        self.step += 1
        return f"step-{self.step}"

    @initialize()
    def open_market(self) -> None:
        clock.freeze(self.now)
        market = MarketFactory()
        self.stores = [StoreFactory(market=market), StoreFactory(market=market), StoreFactory()]
        self.staff = StaffUserFactory()
        self.customers = [CustomerFactory(), CustomerFactory()]
        self.products = [
            services.voucher_product_create(
                name="가게 5만원권", store=self.stores[0], face_value=50_000,
                sale_price=45_000, fee_bp=300,
            ),
            services.voucher_product_create(
                name="시장 3만원권", market=market, face_value=30_000, sale_price=30_000,
                fee_bp=800,
            ),
            services.voucher_product_create(
                name="가게 1만원권", store=self.stores[1], face_value=10_000,
                sale_price=9_500, fee_bp=550, validity_months=3, is_perishable=True,
            ),
            services.voucher_product_create(
                name="고등어 교환권", store=self.stores[2], kind=VoucherProduct.Kind.PRODUCT,
                product_name="고등어 1손", face_value=12_000, sale_price=12_000, fee_bp=100,
            ),
        ]
        # Which stores (by index) accept each product's vouchers.
        self.accepted_at = [{0}, {0, 1}, {1}, {2}]

    @rule(target=vouchers, product=st.integers(0, 3), customer=st.integers(0, 1))
    def purchase(self, product: int, customer: int) -> int:
        chosen = self.products[product]
        voucher = services.voucher_purchase(
            product=chosen, buyer=self.customers[customer],
            card_number=CARD_APPROVE, idempotency_key=self._key(),
        )
        assert voucher.expires_at == end_of_validity(self.now, chosen.validity_months)
        self.expected[voucher.pk] = Modelled(
            product=product, face=chosen.face_value, sale=chosen.sale_price, kind=chosen.kind,
            purchased_at=self.now, valid_until=voucher.expires_at, balance=chosen.face_value,
        )
        return voucher.pk

    @rule(voucher_id=vouchers, phone=st.sampled_from(["01012345678", "010-2222-3333"]))
    def gift(self, voucher_id: int, phone: str) -> None:
        model = self.expected[voucher_id]
        if model.status != Voucher.Status.ACTIVE:
            refusal: type[VoucherError] | None = VoucherNotActive
        elif model.expired(self.now):
            refusal = VoucherExpired
        else:
            refusal = None
        try:
            services.voucher_gift(
                voucher=Voucher.objects.get(pk=voucher_id), to_phone=phone, message="선물"
            )
        except VoucherError as error:
            assert type(error) is refusal, (error, refusal)
            return
        assert refusal is None

    @rule(
        voucher_id=vouchers,
        store=st.integers(0, 2),
        amount=st.one_of(
            st.integers(1, 60_000), st.sampled_from([1_000, 10_000, 12_000, 30_000])
        ),
    )
    def redeem(self, voucher_id: int, store: int, amount: int) -> None:
        self._redeem_as_modelled(voucher_id, store, amount)

    @rule(voucher_id=vouchers, percent=st.sampled_from([59, 60, 79, 80, 100]))
    def redeem_share_of_face_where_accepted(self, voucher_id: int, percent: int) -> None:
        """Reach both sides of the 60% / 80% balance-refund thresholds and the exact whole
        use, at a store that accepts the voucher (random stores are mostly refused)."""
        model = self.expected[voucher_id]
        store = min(self.accepted_at[model.product])
        self._redeem_as_modelled(voucher_id, store, model.face * percent // 100)

    def _redeem_as_modelled(self, voucher_id: int, store: int, amount: int) -> None:
        # The rules in the order the service checks them: scope, refunded, validity, an
        # exchange voucher used whole, then the balance (a USED voucher has none left).
        model = self.expected[voucher_id]
        if store not in self.accepted_at[model.product]:
            refusal: type[VoucherError] | None = NotAccepted
        elif model.refunded:
            refusal = VoucherNotActive
        elif model.expired(self.now):
            refusal = VoucherExpired
        elif model.kind == VoucherProduct.Kind.PRODUCT and amount != model.face:
            refusal = PartialUseNotAllowed
        elif amount > model.balance:
            refusal = InsufficientBalance
        else:
            refusal = None
        voucher = Voucher.objects.get(pk=voucher_id)
        try:
            redemption = services.voucher_redeem(
                voucher=voucher, store=self.stores[store], amount=amount, staff=self.staff,
                idempotency_key=self._key(),
            )
        except VoucherError as error:
            assert type(error) is refusal, (error, refusal)
            return
        assert refusal is None, f"redeemed although the model expected {refusal.__name__}"
        fee_bp = min(self.products[model.product].fee_bp, rules.fee_cap_bp())
        assert redemption.fee == amount * fee_bp // 10_000
        model.balance -= amount
        self.redeemed += amount

    @rule(voucher_id=vouchers)
    def refund(self, voucher_id: int) -> None:
        model = self.expected[voucher_id]
        predicted = expected_refund(model, self.now)
        voucher = Voucher.objects.get(pk=voucher_id)
        try:
            refund = services.voucher_refund(voucher=voucher, idempotency_key=self._key())
        except VoucherError as error:
            assert type(error) is RefundRefused and predicted is None, (error, predicted)
            return
        assert predicted is not None, f"refunded {refund.amount} although the model refuses"
        rule, amount = predicted
        assert (refund.rule, refund.balance, refund.amount) == (rule, model.balance, amount)
        model.balance, model.refunded = 0, True

    @rule(voucher_id=vouchers)
    def extend(self, voucher_id: int) -> None:
        model = self.expected[voucher_id]
        refused = (
            model.status != Voucher.Status.ACTIVE
            or model.expired(self.now)
            or model.extensions >= 4
        )
        try:
            validity.voucher_extend(voucher=Voucher.objects.get(pk=voucher_id))
        except VoucherError as error:
            assert type(error) is ExtensionRefused and refused, error
            return
        assert not refused
        model.valid_until = rules.add_months(model.valid_until, 3)
        model.extensions += 1

    @rule(days=st.sampled_from([1, 6, 8, 30, 100, 400, 2_000]))
    def time_passes(self, days: int) -> None:
        self.now += dt.timedelta(days=days)
        clock.freeze(self.now)
        validity.vouchers_notify_expiring()

    @invariant()
    def ledger_verifies(self) -> None:
        report = ledger_verify()
        assert report.ok, report

    @invariant()
    def vouchers_mirror_their_accounts_and_the_model(self) -> None:
        for voucher in Voucher.objects.filter(pk__in=self.expected):
            model = self.expected[voucher.pk]
            balance = voucher_account(voucher=voucher).balance
            assert voucher.balance == balance == model.balance
            assert balance >= 0
            assert voucher.status == model.status
            assert (voucher.valid_until, voucher.extension_count) == (
                model.valid_until, model.extensions,
            )

    @invariant()
    def refund_quotes_follow_the_model(self) -> None:
        # Every voucher, in every state the machine reaches, is quoted the refund the model
        # predicts or refused with RefundRefused (a read: nothing is booked).
        for voucher in Voucher.objects.filter(pk__in=self.expected):
            predicted = expected_refund(self.expected[voucher.pk], self.now)
            try:
                quote = rules.voucher_refund_check(voucher=voucher)
            except VoucherError as error:
                assert type(error) is RefundRefused and predicted is None, (error, predicted)
                continue
            assert (quote.rule, quote.amount) == predicted

    @invariant()
    def redemptions_reach_stores_and_platform(self) -> None:
        credited = sum(
            Account.objects.filter(
                kind__in=[Account.Kind.STORE_PAYABLE, Account.Kind.PLATFORM_FEE_REVENUE]
            ).values_list("balance", flat=True)
        )
        assert credited == self.redeemed
        assert sum(Redemption.objects.values_list("amount", flat=True)) == self.redeemed


def test_random_voucher_flows_keep_every_invariant():
    run_state_machine_as_test(
        VoucherMachine,
        settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
