"""Hypothesis: random purchases, gifts, partial redemptions, refunds, extensions and the
passing of time keep every ledger invariant (DESIGN.md §5) and every voucher's balance
equal to its ledger account."""

import contextlib
import datetime as dt

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
from dangol.core.clock import kst
from dangol.ledger.models import Account
from dangol.ledger.selectors import ledger_verify
from dangol.payments.providers.sandbox import CARD_APPROVE
from dangol.vouchers import services
from dangol.vouchers.errors import InsufficientBalance, VoucherError
from dangol.vouchers.models import Redemption, Voucher
from dangol.vouchers.selectors import voucher_account
from tests.factories import CustomerFactory, MarketFactory, StaffUserFactory, StoreFactory

pytestmark = pytest.mark.django_db

START = kst(2026, 5, 1, 9, 0)


class VoucherMachine(RuleBasedStateMachine):
    """Two stores in one market and one outside it; a store voucher sold at a discount, a
    market-wide voucher and a small ₩10,000 voucher. The machine keeps the balance it
    expects for every voucher. Each run is rolled back at the end."""

    vouchers = Bundle("vouchers")

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.step = 0
        self.now = START
        self.expected: dict[int, int] = {}
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
                sale_price=9_500, fee_bp=550, validity_days=90, is_perishable=True,
            ),
        ]

    @rule(target=vouchers, product=st.integers(0, 2), customer=st.integers(0, 1))
    def purchase(self, product: int, customer: int) -> int:
        voucher = services.voucher_purchase(
            product=self.products[product], buyer=self.customers[customer],
            card_number=CARD_APPROVE, idempotency_key=self._key(),
        )
        self.expected[voucher.pk] = voucher.face_value
        return voucher.pk

    @rule(voucher_id=vouchers, phone=st.sampled_from(["01012345678", "010-2222-3333"]))
    def gift(self, voucher_id: int, phone: str) -> None:
        with contextlib.suppress(VoucherError):
            services.voucher_gift(
                voucher=Voucher.objects.get(pk=voucher_id), to_phone=phone, message="선물"
            )

    @rule(
        voucher_id=vouchers,
        store=st.integers(0, 2),
        amount=st.one_of(st.integers(1, 60_000), st.sampled_from([1_000, 10_000, 30_000])),
    )
    def redeem(self, voucher_id: int, store: int, amount: int) -> None:
        voucher = Voucher.objects.get(pk=voucher_id)
        try:
            redemption = services.voucher_redeem(
                voucher=voucher, store=self.stores[store], amount=amount, staff=self.staff,
                idempotency_key=self._key(),
            )
        except InsufficientBalance:
            assert amount > self.expected[voucher_id]
            return
        except VoucherError:
            return
        assert amount <= self.expected[voucher_id]
        assert redemption.fee * 10_000 <= amount * services.fee_cap_bp()
        self.expected[voucher_id] -= amount
        self.redeemed += amount

    @rule(voucher_id=vouchers)
    def refund(self, voucher_id: int) -> None:
        voucher = Voucher.objects.get(pk=voucher_id)
        try:
            refund = services.voucher_refund(voucher=voucher, idempotency_key=self._key())
        except VoucherError:
            return
        assert refund.balance == self.expected[voucher_id]
        assert 0 < refund.amount <= refund.balance
        self.expected[voucher_id] = 0

    @rule(voucher_id=vouchers)
    def extend(self, voucher_id: int) -> None:
        with contextlib.suppress(VoucherError):
            services.voucher_extend(voucher=Voucher.objects.get(pk=voucher_id))

    @rule(days=st.sampled_from([1, 6, 8, 30, 100, 400, 2_000]))
    def time_passes(self, days: int) -> None:
        self.now += dt.timedelta(days=days)
        clock.freeze(self.now)
        services.vouchers_notify_expiring()

    @invariant()
    def ledger_verifies(self) -> None:
        report = ledger_verify()
        assert report.ok, report

    @invariant()
    def vouchers_mirror_their_accounts(self) -> None:
        for voucher in Voucher.objects.filter(pk__in=self.expected):
            balance = voucher_account(voucher=voucher).balance
            assert voucher.balance == balance == self.expected[voucher.pk]
            assert balance >= 0

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
