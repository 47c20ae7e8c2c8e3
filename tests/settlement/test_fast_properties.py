"""Hypothesis: in every interleaving of redemptions, fast runs and regular runs, no store is
ever paid more than it has earned, and once a regular run covers everything each store has
been paid exactly its redemptions (net of fees) and the ledger verifies."""

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangol.core import clock
from dangol.core.clock import kst
from dangol.ledger import services as ledger_services
from dangol.ledger.models import Account
from dangol.ledger.selectors import account_balance, ledger_verify
from dangol.settlement import cycles, services
from dangol.settlement.models import Payout, SettlementRun
from tests.factories import StoreFactory
from tests.settlement.conftest import payable

pytestmark = pytest.mark.django_db

START = kst(2026, 11, 2, 9, 0)  # a Monday
# Steps of the clock, in minutes: a minute (to land between a 23:59 regular cut-off and the
# midnight fast cut-off), hours, and days.
STEPS = st.sampled_from([1, 7, 59, 180, 600, 24 * 60 - 1, 24 * 60, 3 * 24 * 60])

POLICY_FEE_BP = 100  # the regular runs' fee; a fast run charges the store's fast_fee_bp

operations = st.lists(
    st.one_of(
        st.tuples(st.just("redeem"), st.integers(0, 2), st.integers(1, 50_000), STEPS),
        st.tuples(st.just("fast"), st.booleans(), st.just(0), STEPS),
        st.tuples(st.just("regular"), st.booleans(), st.just(0), STEPS),
    ),
    min_size=1,
    max_size=25,
)


def _fast_cutoffs(after: dt.datetime | None, until: dt.datetime) -> list[dt.datetime]:
    """Return the fast cut-offs in (after, until], in order."""
    found: list[dt.datetime] = []
    cutoff = cycles.latest_fast_cutoff(until)
    while cutoff > START and (after is None or cutoff > after):
        found.append(cutoff)
        day = cycles.fast_cutoff_day(cutoff)
        assert day is not None
        cutoff = cycles.fast_cutoff(cycles.previous_business_day(day))
    return found[::-1]


@settings(
    max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_every_interleaving_pays_each_store_exactly_its_redemptions(ops):
    with transaction.atomic():
        try:
            _play(ops)
        finally:
            clock.freeze(None)
            transaction.set_rollback(True)


def _play(ops: list[tuple[str, int | bool, int, int]]) -> None:
    policy = services.settlement_policy_create(
        name="월 10회", cycles_per_month=10, cutoff_time=dt.time(23, 59), fee_bp=POLICY_FEE_BP
    )
    # (fast settlement eligible, fast_share_bp, fast_fee_bp) of each store
    terms = [(True, 9000, 150), (True, 5000, 0), (False, 9000, 0)]
    stores = []
    for eligible, share_bp, fee_bp in terms:
        store = StoreFactory()
        services.store_settlement_account_set(
            store=store, policy=policy, bank_name="신한은행", account_number="110-123-451234",
            fast_settlement_eligible=eligible, fast_share_bp=share_bp, fast_fee_bp=fee_bp,
        )
        stores.append(store)
    liability = ledger_services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.VOUCHER_LIABILITY, non_negative=False,
        name="상품권 잔액",
    )
    redeemed = [0, 0, 0]
    now = START
    last_fast: dt.datetime | None = None
    last_regular = START
    for step, (op, arg, amount, minutes) in enumerate(ops):
        clock.freeze(now)
        if op == "redeem":
            index = int(arg)
            ledger_services.ledger_transfer(
                idempotency_key=f"redeem-{step}", kind=services.REDEMPTION_KIND,
                source=liability, destination=payable(stores[index]), amount=amount,
            )
            redeemed[index] += amount
        elif op == "fast":
            due = _fast_cutoffs(last_fast, now)
            # arg: run the latest day only (days missed widen its window) or the oldest.
            chosen = due[-1:] if arg else due[:1]
            for cutoff in chosen:
                services.fast_settlement_run(cutoff=cutoff)
                last_fast = cutoff
        else:
            cutoff = cycles.next_cutoff(policy, last_regular)
            if cutoff <= now:
                services.settlement_run(policy=policy, cutoff=cutoff, batch_size=2 if arg else 5)
                last_regular = cutoff
        for index, store in enumerate(stores):
            paid = Payout.objects.filter(store=store).aggregate(total=Sum("amount"))["total"]
            assert (paid or 0) <= redeemed[index]
        now += dt.timedelta(minutes=minutes)

    final = cycles.next_cutoff(policy, max(now, last_regular))
    clock.freeze(final + dt.timedelta(hours=1))
    services.settlement_run(policy=policy, cutoff=final)

    for index, store in enumerate(stores):
        paid = Payout.objects.filter(store=store).aggregate(total=Sum("amount"))["total"]
        assert (paid or 0) == redeemed[index]
        assert account_balance(account=payable(store)) == 0
        # Each payout's fee is the rate of its run on its amount, rounded down to the won:
        # the policy's fee_bp in a regular run, the store's fast_fee_bp in a fast run.
        fast_fee_bp = terms[index][2]
        for payout in Payout.objects.filter(store=store).select_related("run"):
            is_fast = payout.run.kind == SettlementRun.Kind.FAST
            fee_bp = fast_fee_bp if is_fast else POLICY_FEE_BP
            assert payout.fee == payout.amount * fee_bp // 10_000, (payout.run.kind, payout)
            assert payout.net == payout.amount - payout.fee
    if not terms[2][0]:
        assert not Payout.objects.filter(store=stores[2], run__kind="fast").exists()
    assert ledger_verify().ok
