"""settlement_run: amounts at the cut-off, fees, idempotency and crash recovery."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from dangol.core import clock
from dangol.core.clock import kst
from dangol.ledger import catalogue
from dangol.ledger import services as ledger_services
from dangol.ledger.models import Account, Entry
from dangol.ledger.selectors import account_balance, ledger_verify
from dangol.settlement import services
from dangol.settlement.errors import CutoffInFuture
from dangol.settlement.models import Payout, SettlementRun
from tests.settlement.conftest import NOW, payable, redeem

pytestmark = pytest.mark.django_db

CUTOFF = kst(2026, 11, 30, 23, 59)


@pytest.fixture(autouse=True)
def _after_the_month():
    clock.freeze(NOW)


def _payouts(run: SettlementRun) -> list[tuple[int, int, int, int]]:
    return list(
        Payout.objects.filter(run=run).order_by("store_id").values_list(
            "store_id", "amount", "fee", "net"
        )
    )


def test_run_pays_the_payable_balance_at_the_cutoff(policy, make_store):
    store = make_store()
    redeem(store, 10_000, at=kst(2026, 11, 20, 12), key="r1")
    redeem(store, 5_000, at=kst(2026, 11, 30, 23, 59), key="r2")

    run = services.settlement_run(policy=policy, cutoff=CUTOFF)

    assert run.status == SettlementRun.Status.COMPLETED
    assert _payouts(run) == [(store.pk, 15_000, 0, 15_000)]
    assert account_balance(account=payable(store)) == 0
    assert Payout.objects.get(store=store).net == 15_000


def test_run_excludes_entries_after_the_cutoff(policy, make_store):
    store = make_store()
    redeem(store, 10_000, at=kst(2026, 11, 30, 23, 0), key="before")
    redeem(store, 7_000, at=kst(2026, 12, 1, 0, 0), key="after")

    run = services.settlement_run(policy=policy, cutoff=CUTOFF)

    assert _payouts(run) == [(store.pk, 10_000, 0, 10_000)]
    assert account_balance(account=payable(store)) == 7_000


def test_next_run_pays_only_what_arrived_since_the_last_payout(policy, make_store):
    store = make_store()
    redeem(store, 10_000, at=kst(2026, 11, 26, 12), key="a")
    first = services.settlement_run(policy=policy, cutoff=kst(2026, 11, 27, 23, 59))
    redeem(store, 3_000, at=kst(2026, 11, 29, 12), key="b")

    second = services.settlement_run(policy=policy, cutoff=CUTOFF)

    assert _payouts(first) == [(store.pk, 10_000, 0, 10_000)]
    assert _payouts(second) == [(store.pk, 3_000, 0, 3_000)]


def test_owed_equals_the_sum_of_entries_up_to_the_cutoff(policy, make_store):
    stores = [make_store() for _ in range(3)]
    for index, store in enumerate(stores):
        redeem(store, 1_000 * (index + 1), at=kst(2026, 11, 10), key=f"in{index}")
        redeem(store, 500, at=kst(2026, 12, 1, 1), key=f"out{index}")

    run = services.settlement_run(policy=policy, cutoff=CUTOFF)

    by_entries = (
        Entry.objects.filter(
            account__kind=Account.Kind.STORE_PAYABLE, transaction__created_at__lte=CUTOFF
        ).aggregate(total=Sum("amount"))["total"]
    )
    assert sum(amount for _s, amount, _f, _n in _payouts(run)) == by_entries == 6_000


def test_fee_is_rounded_down_to_the_won(policy, make_store):
    policy.fee_bp = 250
    policy.save(update_fields=["fee_bp"])
    store = make_store()
    redeem(store, 12_345, at=kst(2026, 11, 20), key="r")

    run = services.settlement_run(policy=policy, cutoff=CUTOFF)

    # 12,345 × 2.5% = 308.625 → 308
    assert _payouts(run) == [(store.pk, 12_345, 308, 12_037)]
    revenue = Account.objects.get(kind=Account.Kind.PLATFORM_FEE_REVENUE)
    assert revenue.balance == 308
    assert services.fee_for(amount=39, fee_bp=250) == 0


def test_stores_with_nothing_owed_get_no_payout(policy, make_store):
    make_store()

    run = services.settlement_run(policy=policy, cutoff=CUTOFF)

    assert _payouts(run) == []
    assert run.status == SettlementRun.Status.COMPLETED


def test_rerun_of_the_same_cutoff_returns_the_same_run_and_pays_nothing_more(policy, make_store):
    store = make_store()
    redeem(store, 10_000, at=kst(2026, 11, 20), key="r")
    first = services.settlement_run(policy=policy, cutoff=CUTOFF)

    second = services.settlement_run(policy=policy, cutoff=CUTOFF)

    assert second.pk == first.pk
    assert Payout.objects.count() == 1
    assert ledger_verify().ok


def test_crashed_run_rerun_makes_exactly_the_payouts_of_an_uninterrupted_run(
    policy, make_store, monkeypatch
):
    stores = [make_store() for _ in range(5)]
    for index, store in enumerate(stores):
        redeem(store, 1_000 * (index + 1), at=kst(2026, 11, 20), key=f"r{index}")
    calls: list[int] = []

    def crash_after_two(store_id: int) -> None:
        calls.append(store_id)
        if len(calls) == 2:
            raise RuntimeError("killed")

    monkeypatch.setattr(services, "after_store", crash_after_two)
    with pytest.raises(RuntimeError):
        services.settlement_run(policy=policy, cutoff=CUTOFF, batch_size=1)
    assert Payout.objects.count() == 2
    assert SettlementRun.objects.get().status == SettlementRun.Status.RUNNING

    monkeypatch.setattr(services, "after_store", None)
    run = services.settlement_run(policy=policy, cutoff=CUTOFF, batch_size=1)

    expected = [(store.pk, 1_000 * (i + 1), 0, 1_000 * (i + 1)) for i, store in enumerate(stores)]
    assert _payouts(run) == expected
    assert run.status == SettlementRun.Status.COMPLETED
    assert all(account_balance(account=payable(store)) == 0 for store in stores)
    assert ledger_verify().ok


def test_ledger_verifies_after_runs_with_fees(policy, make_store):
    policy.fee_bp = 80
    policy.save(update_fields=["fee_bp"])
    stores = [make_store() for _ in range(4)]
    for index, store in enumerate(stores):
        redeem(store, 9_999 * (index + 1), at=kst(2026, 11, 20), key=f"r{index}")

    services.settlement_run(policy=policy, cutoff=kst(2026, 11, 27, 23, 59), batch_size=3)
    redeem(stores[0], 777, at=kst(2026, 11, 28), key="late")
    services.settlement_run(policy=policy, cutoff=CUTOFF, batch_size=3)

    report = ledger_verify()
    assert report.ok
    clearing = Account.objects.get(kind=Account.Kind.PAYOUT_CLEARING)
    assert clearing.balance == Payout.objects.aggregate(total=Sum("net"))["total"]


def test_payout_posting_carries_the_documented_idempotency_key(policy, make_store):
    store = make_store()
    redeem(store, 4_000, at=kst(2026, 11, 20), key="r")

    run = services.settlement_run(policy=policy, cutoff=CUTOFF)

    payout = Payout.objects.get()
    assert payout.transaction.idempotency_key == f"payout:{run.pk}:{store.pk}"


def test_cutoff_in_the_future_is_refused(policy, make_store):
    with pytest.raises(CutoffInFuture):
        services.settlement_run(policy=policy, cutoff=kst(2026, 12, 3, 23, 59))


def test_database_refuses_a_second_payout_for_a_store_in_a_run(policy, make_store):
    store = make_store()
    redeem(store, 4_000, at=kst(2026, 11, 20), key="r")
    run = services.settlement_run(policy=policy, cutoff=CUTOFF)
    payout = Payout.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.create(
            run=run, store=store, amount=1, fee=0, net=1, bank_name="x", account_number="1",
            transaction=payout.transaction,
        )


def test_bulk_payout_replays_like_a_ledger_post_with_the_same_key(policy, make_store):
    policy.fee_bp = 100
    policy.save(update_fields=["fee_bp"])
    store = make_store()
    redeem(store, 10_000, at=kst(2026, 11, 20), key="r")
    run = services.settlement_run(policy=policy, cutoff=CUTOFF)
    clearing, revenue = catalogue.payout_clearing_account(), catalogue.fee_revenue_account()

    replayed = ledger_services.ledger_post(
        idempotency_key=f"payout:{run.pk}:{store.pk}", kind=services.PAYOUT_KIND,
        entries=[(payable(store), -10_000), (clearing, 9_900), (revenue, 100)],
    )

    assert replayed.pk == Payout.objects.get().transaction_id
    assert ledger_verify().ok


def test_fee_of_the_whole_amount_posts_no_clearing_leg(policy, make_store):
    policy.fee_bp = 10_000
    policy.save(update_fields=["fee_bp"])
    store = make_store()
    redeem(store, 3_000, at=kst(2026, 11, 20), key="r")

    run = services.settlement_run(policy=policy, cutoff=CUTOFF)

    assert _payouts(run) == [(store.pk, 3_000, 3_000, 0)]
    assert Payout.objects.get().transaction.entries.count() == 2
    assert ledger_verify().ok


def test_a_batch_of_stores_shares_one_ledger_transaction(policy, make_store):
    policy.fee_bp = 100
    policy.save(update_fields=["fee_bp"])
    stores = [make_store() for _ in range(3)]
    for index, store in enumerate(stores):
        redeem(store, 10_000 * (index + 1), at=kst(2026, 11, 20), key=f"r{index}")

    run = services.settlement_run(policy=policy, cutoff=CUTOFF, batch_size=2)

    payouts = list(Payout.objects.filter(run=run).order_by("store_id"))
    assert [p.transaction_id for p in payouts][:2] == [payouts[0].transaction_id] * 2
    assert payouts[2].transaction_id != payouts[0].transaction_id
    first = payouts[0].transaction
    assert first.idempotency_key == f"payout:{run.pk}:{stores[0].pk}"
    clearing, revenue = catalogue.payout_clearing_account(), catalogue.fee_revenue_account()
    assert sorted(first.entries.values_list("account_id", "amount")) == sorted(
        [(payable(stores[0]).pk, -10_000), (payable(stores[1]).pk, -20_000),
         (clearing.pk, 9_900 + 19_800), (revenue.pk, 100 + 200)]
    )
    assert Entry.objects.filter(transaction__kind=services.PAYOUT_KIND).count() == 4 + 3
    assert ledger_verify().ok
