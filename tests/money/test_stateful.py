"""Hypothesis: random sequences of everything that moves money keep every invariant.

Purchases (store and market-wide products, with and without a sale discount, approved and
declined cards through the sandbox provider), gifts to random mobile numbers, partial and
full redemptions at accepting and non-accepting stores, refunds under each rule of
DESIGN.md §6, the passing of time (expiries), extensions and settlement runs at passed
cut-offs. After every step the machine checks the ledger invariants of DESIGN.md §5, each
voucher's mirrored balance, the conservation of money between the payments table and the
ledger, and that a model of every account balance kept here agrees with the database.

The model is written from the rules, not from the services: it predicts which request is
refused (and by which error), what each refund pays under which rule, and what each
settlement run pays each store. A refused request must change nothing.
"""

import contextlib
import datetime as dt
import io
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.calendar import is_business_day
from dangol.core.clock import KST, kst
from dangol.core.phone import InvalidPhone
from dangol.ledger.models import Account, Entry, Transaction
from dangol.ledger.selectors import ledger_verify
from dangol.payments.models import Payment
from dangol.payments.providers.sandbox import CARD_APPROVE, CARD_DECLINE
from dangol.places.models import Store
from dangol.settlement import cycles
from dangol.settlement import services as settlement_services
from dangol.settlement.errors import CutoffInFuture
from dangol.settlement.models import Payout, SettlementPolicy, SettlementRun
from dangol.vouchers import services, validity
from dangol.vouchers.errors import (
    ExtensionRefused,
    InsufficientBalance,
    NotAccepted,
    PartialUseNotAllowed,
    PurchaseFailed,
    RefundRefused,
    VoucherError,
    VoucherExpired,
    VoucherNotActive,
)
from dangol.vouchers.models import (
    LEDGER_OWNER_TYPE,
    Redemption,
    Refund,
    Voucher,
    VoucherGift,
    VoucherProduct,
)
from dangol.vouchers.rules import MAX_EXTENSIONS, add_months, fee_cap_bp
from tests.factories import CustomerFactory, MarketFactory, StaffUserFactory, StoreFactory
from tests.vouchers.test_properties import end_of_validity

pytestmark = pytest.mark.django_db

START = kst(2026, 5, 1, 9, 0)
# What the runs did, by outcome: the test asserts that each path was taken at least once.
OUTCOMES: Counter[str] = Counter()
BP = 10_000
K = Account.Kind

# Stores 0–3 are in the market, store 4 is outside it. Stores 0 and 1 are settled on policy
# 0, stores 2 and 4 on policy 1; store 3 has no settlement account and is never paid.
MARKET_STORES = (0, 1, 2, 3)
STORE_POLICY = {0: 0, 1: 0, 2: 1, 4: 1}
# Stores on fast settlement (빠른정산): store → (share, fee) in basis points.
FAST_TERMS = {0: (9_000, 100), 2: (8_000, 0)}
POLICIES = (
    {"name": "월 10회", "cycles_per_month": 10, "fee_bp": 0},
    {"name": "월 4회", "cycles_per_month": 4, "fee_bp": 150},
)


@dataclass(frozen=True)
class ProductSpec:
    """A product on sale in the machine and the stores that accept it."""

    name: str
    face: int
    sale: int
    fee_bp: int
    accepted: frozenset[int]
    store: int | None = None
    accepted_list: tuple[int, ...] = ()
    kind: str = VoucherProduct.Kind.AMOUNT
    validity_months: int = 12
    perishable: bool = False


PRODUCTS = (
    # A store's voucher sold at a discount.
    ProductSpec("가게 5만원권", 50_000, 45_000, 300, frozenset({0}), store=0),
    # Market-wide, accepted at every store of the market, sold at face value.
    ProductSpec("시장 3만원권", 30_000, 30_000, 800, frozenset(MARKET_STORES)),
    # Market-wide with a list of accepting stores, sold at a discount.
    ProductSpec("시장 2만원권", 20_000, 18_000, 500, frozenset({1, 2}), accepted_list=(1, 2)),
    # Face value ≤ ₩10,000 (the 80% rule), perishable with a 3-month validity.
    ProductSpec(
        "가게 1만원권", 10_000, 9_500, 550, frozenset({1}), store=1, validity_months=3,
        perishable=True,
    ),
    # A product voucher (교환권): used whole or not at all.
    ProductSpec(
        "고등어 교환권", 15_000, 15_000, 0, frozenset({4}), store=4,
        kind=VoucherProduct.Kind.PRODUCT,
    ),
)


@dataclass
class VoucherModel:
    """What the machine expects of one voucher."""

    product: int
    face: int
    sale: int
    balance: int
    purchased_at: dt.datetime
    valid_until: dt.datetime
    holder_phone: str
    status: str = Voucher.Status.ACTIVE
    extensions: int = 0


@dataclass
class SettlementModel:
    """Redemptions credited to each store (moment, net won) and what has been paid out."""

    credits: dict[int, list[tuple[dt.datetime, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    paid: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    runs: set[tuple[int, dt.datetime]] = field(default_factory=set)
    # Fast settlement: (store, window start, amount) of each advance, and the runs' cut-offs.
    advances: list[tuple[int, dt.datetime, int]] = field(default_factory=list)
    fast_cutoffs: list[dt.datetime] = field(default_factory=list)

    def owed_at(self, store: int, cutoff: dt.datetime) -> int:
        """Return what `store` is owed at `cutoff`: its credits up to the cut-off less every
        regular payout and the fast advances of windows that started before the cut-off."""
        return (
            sum(net for moment, net in self.credits[store] if moment <= cutoff)
            - self.paid[store]
            - sum(amount for who, start, amount in self.advances if who == store and start < cutoff)
        )


def money_snapshot() -> tuple[Any, ...]:
    """Return everything a refused request must leave as it was."""
    return (
        Transaction.objects.count(),
        Entry.objects.count(),
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        list(
            Voucher.objects.order_by("pk").values_list(
                "pk", "balance", "status", "holder_phone", "extended_until", "extension_count"
            )
        ),
        Redemption.objects.count(),
        Refund.objects.count(),
        VoucherGift.objects.count(),
        Payout.objects.count(),
        list(SettlementRun.objects.order_by("pk").values_list("pk", "status")),
        list(
            Payment.objects.exclude(status=Payment.Status.FAILED)
            .order_by("pk")
            .values_list("pk", "status", "refunded_amount")
        ),
    )


class MoneyMachine(RuleBasedStateMachine):
    """Five stores (four in one market), five products, two settlement policies, two
    buyers. Each example runs inside one transaction that is rolled back at its end."""

    vouchers = Bundle("vouchers")

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.step = 0
        self.now = START
        self.model: dict[int, VoucherModel] = {}
        self.balances: dict[tuple[str, int | None, str], int] = defaultdict(int)
        self.settlement = SettlementModel()

    def teardown(self) -> None:
        try:
            # After a database error the transaction is unusable: let that error show.
            if hasattr(self, "stores") and not transaction.get_rollback():
                out = io.StringIO()
                call_command("ledger", "verify", stdout=out)  # CommandError on a difference
                assert "OK" in out.getvalue()
        finally:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
            clock.freeze(None)

    # --- helpers --------------------------------------------------------------------------

    def _key(self, prefix: str) -> str:
        self.step += 1
        return f"{prefix}-{self.step}"

    def _move(self, key: tuple[str, int | None, str], amount: int) -> None:
        self.balances[key] += amount

    def _issuer_key(self, spec: ProductSpec) -> tuple[str, int | None, str]:
        if spec.store is not None:
            return ("store", self.stores[spec.store].pk, K.DISCOUNT_EXPENSE)
        return ("market", self.market.pk, K.DISCOUNT_EXPENSE)

    def _expired(self, voucher: VoucherModel) -> bool:
        return self.now >= voucher.valid_until

    # --- set-up ---------------------------------------------------------------------------

    @initialize(target=vouchers)
    def open_market(self) -> Any:
        """Open the stores, products and policies; buy one voucher of each product, so that
        every rule has vouchers to act on from the first step."""
        clock.freeze(self.now)
        self.market = MarketFactory()
        self.stores: list[Store] = [StoreFactory(market=self.market) for _ in MARKET_STORES]
        self.stores.append(StoreFactory())
        self.staff = StaffUserFactory()
        self.customers: list[User] = [CustomerFactory(), CustomerFactory()]
        self.products: list[VoucherProduct] = []
        for spec in PRODUCTS:
            issuer: dict[str, Any] = (
                {"store": self.stores[spec.store]} if spec.store is not None
                else {"market": self.market}
            )
            self.products.append(
                services.voucher_product_create(
                    name=spec.name, face_value=spec.face, sale_price=spec.sale,
                    fee_bp=spec.fee_bp, kind=spec.kind,
                    product_name="고등어 1손" if spec.kind == VoucherProduct.Kind.PRODUCT else "",
                    validity_months=spec.validity_months, is_perishable=spec.perishable,
                    accepted_stores=[self.stores[index] for index in spec.accepted_list],
                    **issuer,
                )
            )
        self.policies: list[SettlementPolicy] = [
            settlement_services.settlement_policy_create(**terms) for terms in POLICIES
        ]
        for store_index, policy_index in STORE_POLICY.items():
            settlement_services.store_settlement_account_set(
                store=self.stores[store_index], policy=self.policies[policy_index],
                bank_name="부산은행", account_number=f"101-2000-{store_index:04d}",
                fast_settlement_eligible=store_index in FAST_TERMS,
                fast_share_bp=FAST_TERMS.get(store_index, (9_000, 0))[0],
                fast_fee_bp=FAST_TERMS.get(store_index, (9_000, 0))[1],
            )
        return multiple(
            *(
                self.purchase(product=index, customer=0, approve=True)
                for index in range(len(PRODUCTS))
            )
        )

    # --- purchase and gift ----------------------------------------------------------------

    @precondition(lambda self: len(self.model) < 10)
    @rule(
        target=vouchers, product=st.integers(0, len(PRODUCTS) - 1), customer=st.integers(0, 1),
        approve=st.booleans(),
    )
    def purchase(self, product: int, customer: int, approve: bool) -> Any:
        spec, buyer = PRODUCTS[product], self.customers[customer]
        before = money_snapshot()
        try:
            voucher = services.voucher_purchase(
                product=self.products[product], buyer=buyer,
                card_number=CARD_APPROVE if approve else CARD_DECLINE,
                idempotency_key=self._key("buy"),
            )
        except PurchaseFailed:
            assert not approve
            OUTCOMES["purchase declined"] += 1
            assert money_snapshot() == before
            return multiple()  # no voucher for the bundle
        assert approve
        OUTCOMES[f"purchase {spec.name}"] += 1
        assert voucher.payment.status == Payment.Status.CAPTURED
        assert voucher.payment.amount == spec.sale
        assert voucher.expires_at == end_of_validity(self.now, spec.validity_months)
        self.model[voucher.pk] = VoucherModel(
            product=product, face=spec.face, sale=spec.sale, balance=spec.face,
            purchased_at=self.now, valid_until=voucher.expires_at,
            holder_phone=buyer.phone or "",
        )
        self._move(("", None, K.CASH), -spec.sale)
        self._move(("voucher", voucher.pk, K.VOUCHER_LIABILITY), spec.face)
        if spec.face > spec.sale:
            self._move(self._issuer_key(spec), -(spec.face - spec.sale))
        return voucher.pk

    @rule(
        voucher_id=vouchers,
        phone=st.one_of(
            st.integers(0, 99_999_999).map(lambda n: f"010{n:08d}"),
            st.integers(0, 9_999).map(lambda n: f"010-7777-{n:04d}"),
            st.just("051-544-1234"),  # a landline: refused
        ),
    )
    def gift(self, voucher_id: int, phone: str) -> None:
        expected = self.model[voucher_id]
        before = money_snapshot()
        try:
            services.voucher_gift(
                voucher=Voucher.objects.get(pk=voucher_id), to_phone=phone, message="선물이에요"
            )
        except InvalidPhone:
            assert phone.startswith("051")
        except VoucherNotActive:
            assert expected.status != Voucher.Status.ACTIVE
        except VoucherExpired:
            assert expected.status == Voucher.Status.ACTIVE and self._expired(expected)
        else:
            assert not phone.startswith("051")
            assert expected.status == Voucher.Status.ACTIVE and not self._expired(expected)
            expected.holder_phone = "+82" + phone.replace("-", "")[1:]
            OUTCOMES["gift"] += 1
            return
        OUTCOMES["gift refused"] += 1
        assert money_snapshot() == before

    # --- redemption -----------------------------------------------------------------------

    def _redeem_refusal(self, expected: VoucherModel, store: int, amount: int) -> type | None:
        """Return the error the rules give for this redemption, or None if it goes through
        (checks in the order the service documents)."""
        spec = PRODUCTS[expected.product]
        if store not in spec.accepted:
            return NotAccepted
        if expected.status == Voucher.Status.REFUNDED:
            return VoucherNotActive
        if self._expired(expected):
            return VoucherExpired
        if spec.kind == VoucherProduct.Kind.PRODUCT and amount != expected.face:
            return PartialUseNotAllowed
        if amount > expected.balance:
            return InsufficientBalance
        return None

    @rule(
        voucher_id=vouchers,
        accepting=st.sampled_from([True, True, False]),
        pick=st.integers(0, 4),
        share=st.sampled_from([100, 250, 500, 600, 800, 1_000, 1_000, 1_200]),
        of_face=st.booleans(),
    )
    def redeem(
        self, voucher_id: int, accepting: bool, pick: int, share: int, of_face: bool
    ) -> None:
        """Redeem `share`‰ of the face value or of the balance (over 1000‰: more than there
        is) at an accepting store, or at one that does not accept the voucher."""
        expected = self.model[voucher_id]
        spec = PRODUCTS[expected.product]
        stores = sorted(spec.accepted if accepting else set(range(5)) - spec.accepted)
        store = stores[pick % len(stores)]
        base = expected.face if of_face or not expected.balance else expected.balance
        amount = max(1, base * share // 1_000)
        refusal = self._redeem_refusal(expected, store, amount)
        before = money_snapshot()
        try:
            redemption = services.voucher_redeem(
                voucher=Voucher.objects.get(pk=voucher_id), store=self.stores[store],
                amount=amount, staff=self.staff, idempotency_key=self._key("pos"),
            )
        except VoucherError as exc:
            assert type(exc) is refusal, (exc, refusal)
            assert money_snapshot() == before
            OUTCOMES[f"redeem refused {type(exc).__name__}"] += 1
            return
        assert refusal is None
        fee = amount * min(spec.fee_bp, fee_cap_bp()) // BP
        assert (redemption.amount, redemption.fee) == (amount, fee)
        expected.balance -= amount
        if expected.balance == 0:
            expected.status = Voucher.Status.USED
        OUTCOMES["redeem full" if expected.balance == 0 else "redeem partial"] += 1
        store_pk = self.stores[store].pk
        self._move(("voucher", voucher_id, K.VOUCHER_LIABILITY), -amount)
        self._move(("store", store_pk, K.STORE_PAYABLE), amount - fee)
        self._move(("store", store_pk, K.PLATFORM_FEE_REVENUE), fee)
        self.settlement.credits[store].append((self.now, amount - fee))

    # --- refund ---------------------------------------------------------------------------

    def _refund_due(self, expected: VoucherModel) -> tuple[str, int] | None:
        """Return (rule, amount) of the refund the rules of DESIGN.md §6 give now, or None."""
        balance, face, sale = expected.balance, expected.face, expected.sale
        if expected.status == Voucher.Status.REFUNDED or balance <= 0:
            return None
        paid_value = balance * sale // face
        if self._expired(expected):
            if self.now >= add_months(expected.valid_until, 60):
                return None
            rule, amount = Refund.Rule.AFTER_EXPIRY, paid_value * 90 // 100
        else:
            last_withdrawal_day = expected.purchased_at.astimezone(KST).date() + dt.timedelta(
                days=7
            )
            percent = 80 if face <= 10_000 else 60
            if self.now.astimezone(KST).date() <= last_withdrawal_day and balance == face:
                rule, amount = Refund.Rule.WITHDRAWAL, sale
            elif (face - balance) * 100 >= percent * face:
                rule, amount = Refund.Rule.BALANCE, paid_value
            else:
                return None
        return (rule, amount) if amount > 0 else None

    @rule(voucher_id=vouchers)
    def refund(self, voucher_id: int) -> None:
        expected = self.model[voucher_id]
        due = self._refund_due(expected)
        before = money_snapshot()
        try:
            refund = services.voucher_refund(
                voucher=Voucher.objects.get(pk=voucher_id), idempotency_key=self._key("refund")
            )
        except RefundRefused:
            assert due is None
            assert money_snapshot() == before
            OUTCOMES["refund refused"] += 1
            return
        assert due is not None
        rule, amount = due
        assert (refund.rule, refund.balance, refund.amount) == (rule, expected.balance, amount)
        assert refund.paid_at is not None
        OUTCOMES[f"refund {rule}"] += 1
        payment = Payment.objects.get(voucher__pk=voucher_id)
        assert payment.refunded_amount == amount
        spec = PRODUCTS[expected.product]
        self._move(("voucher", voucher_id, K.VOUCHER_LIABILITY), -expected.balance)
        self._move(("", None, K.CASH), amount)  # via refund_clearing, which nets to zero
        if expected.balance > amount:
            self._move(self._issuer_key(spec), expected.balance - amount)
        expected.balance, expected.status = 0, Voucher.Status.REFUNDED

    @rule(
        voucher_id=vouchers, pick=st.integers(0, 4),
        share=st.sampled_from([500, 599, 600, 700, 799, 800, 900]),
    )
    def redeem_then_refund(self, voucher_id: int, pick: int, share: int) -> None:
        """Use `share`‰ of the face value at an accepting store, then ask for the rest back
        (the 60%/80% balance refund rule at and around its thresholds)."""
        self.redeem(voucher_id=voucher_id, accepting=True, pick=pick, share=share, of_face=True)
        self.refund(voucher_id=voucher_id)

    # --- validity -------------------------------------------------------------------------

    @rule(voucher_id=vouchers)
    def extend(self, voucher_id: int) -> None:
        expected = self.model[voucher_id]
        allowed = (
            expected.status == Voucher.Status.ACTIVE
            and not self._expired(expected)
            and expected.extensions < MAX_EXTENSIONS
        )
        before = money_snapshot()
        try:
            voucher = validity.voucher_extend(voucher=Voucher.objects.get(pk=voucher_id))
        except ExtensionRefused:
            assert not allowed
            assert money_snapshot() == before
            OUTCOMES["extension refused"] += 1
            return
        assert allowed
        expected.valid_until = add_months(expected.valid_until, 3)
        expected.extensions += 1
        OUTCOMES["extension"] += 1
        assert voucher.valid_until == expected.valid_until

    @rule(
        step=st.sampled_from(
            [
                dt.timedelta(hours=5), dt.timedelta(days=1), dt.timedelta(days=6),
                dt.timedelta(days=8), dt.timedelta(days=31), dt.timedelta(days=95),
                dt.timedelta(days=370), dt.timedelta(days=2_000),
            ]
        )
    )
    def time_passes(self, step: dt.timedelta) -> None:
        before = money_snapshot()
        self.now += step
        clock.freeze(self.now)
        validity.vouchers_notify_expiring()
        assert money_snapshot() == before

    # --- settlement -----------------------------------------------------------------------

    def _passed_cutoffs(self, policy: SettlementPolicy) -> list[dt.datetime]:
        """Return this and the two previous months' cut-offs that have passed, latest first."""
        month = self.now.astimezone(KST).date().replace(day=1)
        found: list[dt.datetime] = []
        for _ in range(3):
            found += [cut for cut in cycles.policy_cutoffs(policy, month) if cut <= self.now]
            month = (month - dt.timedelta(days=1)).replace(day=1)
        return sorted(found, reverse=True)

    def _owed(self, policy_index: int | None = None) -> int:
        """Return what the stores on the policy (on any policy if None) have been credited
        and not been paid yet."""
        return sum(
            sum(net for _moment, net in self.settlement.credits[store])
            - self.settlement.paid[store]
            for store, store_policy in STORE_POLICY.items()
            if policy_index is None or store_policy == policy_index
        )

    @precondition(lambda self: self._owed() > 0)
    @rule(
        policy_index=st.integers(0, 1), back=st.sampled_from([0, 0, 1, 2, 3, -1]),
        wait=st.booleans(),
    )
    def settle(self, policy_index: int, back: int, wait: bool) -> None:
        """Run settlement of a policy that owes something at the latest passed cut-off
        (back=0), an earlier one, or the next one (back=-1: not passed yet, refused); with
        `wait`, first let the clock pass the next cut-off by a minute."""
        if not self._owed(policy_index):
            policy_index = 1 - policy_index
        policy = self.policies[policy_index]
        if wait:
            self.now = cycles.next_cutoff(policy, self.now) + dt.timedelta(minutes=1)
            clock.freeze(self.now)
        before = money_snapshot()
        if back < 0:
            cutoff = cycles.next_cutoff(policy, self.now)
            with contextlib.suppress(CutoffInFuture):
                settlement_services.settlement_run(policy=policy, cutoff=cutoff)
                raise AssertionError("a cut-off in the future was settled")
            assert money_snapshot() == before
            OUTCOMES["settlement refused: cut-off in the future"] += 1
            return
        passed = self._passed_cutoffs(policy)
        if not passed:
            return
        cutoff = passed[min(back, len(passed) - 1)]
        expected: dict[int, tuple[int, int, int]] = {}
        if (policy_index, cutoff) not in self.settlement.runs:
            for store, store_policy in STORE_POLICY.items():
                if store_policy != policy_index:
                    continue
                owed = self.settlement.owed_at(store, cutoff)
                if owed > 0:
                    fee = owed * policy.fee_bp // BP
                    expected[self.stores[store].pk] = (owed, fee, owed - fee)
        payouts_before = Payout.objects.count()

        run = settlement_services.settlement_run(policy=policy, cutoff=cutoff, batch_size=2)

        assert run.status == SettlementRun.Status.COMPLETED
        if (policy_index, cutoff) in self.settlement.runs:
            assert money_snapshot() == before
            OUTCOMES["settlement rerun"] += 1
            return
        self.settlement.runs.add((policy_index, cutoff))
        paid = {
            store_id: (amount, fee, net)
            for store_id, amount, fee, net in Payout.objects.filter(run=run).values_list(
                "store_id", "amount", "fee", "net"
            )
        }
        assert paid == expected
        assert Payout.objects.count() == payouts_before + len(expected)
        OUTCOMES["settlement with payouts" if expected else "settlement without payouts"] += 1
        for store, store_policy in STORE_POLICY.items():
            if store_policy != policy_index or self.stores[store].pk not in expected:
                continue
            amount, fee, net = expected[self.stores[store].pk]
            self.settlement.paid[store] += amount
            self._move(("store", self.stores[store].pk, K.STORE_PAYABLE), -amount)
            self._move(("", None, K.PAYOUT_CLEARING), net)
            self._move(("", None, K.PLATFORM_FEE_REVENUE), fee)

    @precondition(lambda self: self._owed() > 0)
    @rule()
    def fast_settle(self) -> None:
        """Run fast settlement (빠른정산) of the last business day that has ended: each fast
        store is advanced its share of that window's redemptions, never more than it is owed
        at the cut-off; a rerun of the same cut-off pays nothing more."""
        day = self.now.astimezone(KST).date() - dt.timedelta(days=1)
        while not is_business_day(day):
            day -= dt.timedelta(days=1)
        cutoff = cycles.fast_cutoff(day)
        model = self.settlement
        before = money_snapshot()
        expected: dict[int, tuple[int, int, int]] = {}
        if cutoff not in model.fast_cutoffs:
            start = (
                max(model.fast_cutoffs) if model.fast_cutoffs
                else cycles.fast_cutoff(cycles.previous_business_day(day))
            )
            for store, (share, fee_bp) in FAST_TERMS.items():
                window = sum(
                    net for moment, net in model.credits[store] if start < moment <= cutoff
                )
                amount = min(share * window // BP, model.owed_at(store, cutoff))
                if amount > 0:
                    fee = amount * fee_bp // BP
                    expected[self.stores[store].pk] = (amount, fee, amount - fee)

        run = settlement_services.fast_settlement_run(cutoff=cutoff, batch_size=2)

        assert run.status == SettlementRun.Status.COMPLETED
        if cutoff in model.fast_cutoffs:
            assert money_snapshot() == before
            OUTCOMES["fast settlement rerun"] += 1
            return
        model.fast_cutoffs.append(cutoff)
        paid = {
            store_id: (amount, fee, net)
            for store_id, amount, fee, net in Payout.objects.filter(run=run).values_list(
                "store_id", "amount", "fee", "net"
            )
        }
        assert paid == expected
        OUTCOMES["fast settlement with payouts" if expected else "fast settlement empty"] += 1
        for store in FAST_TERMS:
            if self.stores[store].pk not in expected:
                continue
            amount, fee, net = expected[self.stores[store].pk]
            model.advances.append((store, start, amount))
            self._move(("store", self.stores[store].pk, K.STORE_PAYABLE), -amount)
            self._move(("", None, K.PAYOUT_CLEARING), net)
            self._move(("", None, K.PLATFORM_FEE_REVENUE), fee)

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def ledger_verifies(self) -> None:
        report = ledger_verify()
        assert report.ok, report

    @invariant()
    def every_transaction_sums_to_zero(self) -> None:
        unbalanced = (
            Entry.objects.order_by()
            .values("transaction_id")
            .annotate(total=Sum("amount"), legs=Count("id"))
            .filter(~Q(total=0) | Q(legs__lt=2))
        )
        assert not list(unbalanced)
        assert not Transaction.objects.filter(entries__isnull=True).exists()

    @invariant()
    def balances_sum_to_zero_and_match_their_entries(self) -> None:
        assert (Account.objects.aggregate(total=Sum("balance"))["total"] or 0) == 0
        assert (Entry.objects.aggregate(total=Sum("amount"))["total"] or 0) == 0
        drifted = Account.objects.annotate(summed=Sum("entries__amount")).exclude(
            balance=F("summed")
        ).exclude(balance=0, summed__isnull=True)
        assert not list(drifted.values_list("pk", "balance", "summed"))
        assert not Account.objects.filter(non_negative=True, balance__lt=0).exists()
        assert not Account.objects.filter(
            kind=K.VOUCHER_LIABILITY, non_negative=False
        ).exists()

    @invariant()
    def vouchers_mirror_their_accounts_and_the_model(self) -> None:
        vouchers = list(Voucher.objects.all())
        accounts = dict(
            Account.objects.filter(
                owner_type=LEDGER_OWNER_TYPE, kind=K.VOUCHER_LIABILITY
            ).values_list("owner_id", "balance")
        )
        assert {voucher.pk for voucher in vouchers} == set(self.model) == set(accounts)
        for voucher in vouchers:
            expected = self.model[voucher.pk]
            assert voucher.balance == accounts[voucher.pk] == expected.balance
            assert voucher.status == expected.status
            assert voucher.valid_until == expected.valid_until
            assert voucher.extension_count == expected.extensions
            assert voucher.holder_phone == expected.holder_phone

    @invariant()
    def every_account_has_the_modelled_balance(self) -> None:
        actual = {
            (owner_type, owner_id, kind): balance
            for owner_type, owner_id, kind, balance in Account.objects.values_list(
                "owner_type", "owner_id", "kind", "balance"
            )
        }
        for key in set(actual) | set(self.balances):
            assert actual.get(key, 0) == self.balances.get(key, 0), key
        assert actual.get(("", None, K.REFUND_CLEARING), 0) == 0

    @invariant()
    def money_is_conserved(self) -> None:
        """Cash in from captures = voucher liabilities + store payables + payouts + fees +
        refunds paid + the issuers' net discount, each side read from its own table."""
        by_kind: dict[str, int] = defaultdict(int)
        by_kind.update(
            Account.objects.order_by().values("kind").annotate(total=Sum("balance"))
            .values_list("kind", "total")
        )
        captured_statuses = [
            Payment.Status.CAPTURED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED,
        ]
        payments = Payment.objects.aggregate(
            captured=Sum("amount", filter=Q(status__in=captured_statuses)),
            refunded=Sum("refunded_amount"),
        )
        captured, refunded = payments["captured"] or 0, payments["refunded"] or 0
        assert captured == (
            by_kind[K.VOUCHER_LIABILITY] + by_kind[K.STORE_PAYABLE] + by_kind[K.PAYOUT_CLEARING]
            + by_kind[K.PLATFORM_FEE_REVENUE] + by_kind[K.REFUND_CLEARING] + refunded
            + by_kind[K.DISCOUNT_EXPENSE]
        )
        # Each ledger term against the domain rows that explain it.
        # Aliases differ from the field names: an alias equal to a field would shadow it.
        vouchers = Voucher.objects.aggregate(
            balances=Sum("balance"), discounts=Sum(F("face_value") - F("product__sale_price"))
        )
        redeemed = Redemption.objects.aggregate(amounts=Sum("amount"), fees=Sum("fee"))
        paid_out = Payout.objects.aggregate(
            amounts=Sum("amount"), fees=Sum("fee"), nets=Sum("net")
        )
        refunds = Refund.objects.aggregate(
            balances=Sum("balance"), amounts=Sum("amount"),
            paid=Sum("amount", filter=Q(paid_at__isnull=False)),
        )

        def won(row: dict[str, Any], name: str) -> int:
            return int(row[name] or 0)

        assert by_kind[K.CASH] == refunded - captured
        assert by_kind[K.VOUCHER_LIABILITY] == won(vouchers, "balances")
        assert by_kind[K.STORE_PAYABLE] == (
            won(redeemed, "amounts") - won(redeemed, "fees") - won(paid_out, "amounts")
        )
        assert by_kind[K.PAYOUT_CLEARING] == won(paid_out, "nets")
        assert by_kind[K.PLATFORM_FEE_REVENUE] == won(redeemed, "fees") + won(paid_out, "fees")
        assert refunded == won(refunds, "paid")
        assert by_kind[K.DISCOUNT_EXPENSE] == (
            won(refunds, "balances") - won(refunds, "amounts") - won(vouchers, "discounts")
        )


def test_random_money_flows_keep_every_invariant():
    OUTCOMES.clear()
    run_state_machine_as_test(
        MoneyMachine,
        # Derandomised: the same 25 sequences on every run, so CI is reproducible and the
        # coverage check below cannot flake; set DANGOL_HYPOTHESIS_RANDOM=1 to explore anew.
        settings=settings(
            max_examples=25, stateful_step_count=30, deadline=None,
            derandomize=os.environ.get("DANGOL_HYPOTHESIS_RANDOM") != "1",
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    # The random runs must have taken every path whose money they check.
    taken = {outcome for outcome, count in OUTCOMES.items() if count}
    wanted = {
        "purchase declined", "redeem full", "redeem partial", "redeem refused NotAccepted",
        "refund withdrawal", "refund balance", "refund after_expiry", "refund refused",
        "settlement with payouts", "extension",
    }
    assert wanted <= taken, sorted(OUTCOMES.items())
    print(sorted(OUTCOMES.items()))  # noqa: T201 (shown with -s)
