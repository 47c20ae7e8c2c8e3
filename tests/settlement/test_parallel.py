"""Batches paid several at a time (PostgreSQL, each batch on its own connection) pay exactly
what batches paid one after another pay, also when two processes run the same run at once.

The seed is the two identical groups of tests/settlement/test_kill.py (committed, so the
batches' own connections see it)."""

import threading

import pytest
from django.db import connection

from dangol.ledger.models import Transaction
from dangol.ledger.selectors import ledger_verify
from dangol.settlement import selectors, services
from dangol.settlement.models import Payout, SettlementPolicy, SettlementRun
from tests.settlement.test_kill import CUTOFF, expected_payouts, payouts_by_index, seed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_batches_pay_what_one_after_another_pays(monkeypatch):
    seeded = seed()
    threads: set[str] = set()
    in_thread = services._batch_pay_in_thread

    def spy(**kwargs):  # type: ignore[no-untyped-def]
        threads.add(threading.current_thread().name)
        return in_thread(**kwargs)

    monkeypatch.setattr(services, "_batch_pay_in_thread", spy)
    (policy_a, policy_b), (stores_a, stores_b) = seeded["policies"], seeded["stores"]

    parallel = services.settlement_run(
        policy=SettlementPolicy.objects.get(pk=policy_a), cutoff=CUTOFF, batch_size=2,
        workers=3,
    )
    sequential = services.settlement_run(
        policy=SettlementPolicy.objects.get(pk=policy_b), cutoff=CUTOFF, batch_size=2,
        workers=1,
    )

    # The parallel run's batches ran in the pool's threads, the sequential one's did not.
    assert threads and all(name.startswith("settle") for name in threads)
    expected = expected_payouts()
    assert payouts_by_index(policy_a, stores_a) == expected
    assert payouts_by_index(policy_b, stores_b) == expected
    for run in (parallel, sequential):
        run.refresh_from_db()
        assert run.status == SettlementRun.Status.COMPLETED
        assert selectors.run_reconcile(run=run).ok
    # Both made the same batches: one ledger transaction per two payable accounts.
    batches = [
        Payout.objects.filter(run=run).values("transaction_id").distinct().count()
        for run in (parallel, sequential)
    ]
    assert batches[0] == batches[1] >= 3
    assert ledger_verify().ok


def test_two_processes_running_the_same_run_at_once_pay_each_store_once():
    seeded = seed()
    (policy_a,), (stores_a,) = seeded["policies"][:1], seeded["stores"][:1]
    policy = SettlementPolicy.objects.get(pk=policy_a)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run_it() -> None:
        try:
            barrier.wait()
            services.settlement_run(policy=policy, cutoff=CUTOFF, batch_size=2, workers=2)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert payouts_by_index(policy_a, stores_a) == expected_payouts()
    run = SettlementRun.objects.get(policy=policy, cutoff=CUTOFF)
    assert run.status == SettlementRun.Status.COMPLETED
    assert selectors.run_reconcile(run=run).ok
    assert Transaction.objects.filter(
        idempotency_key__startswith=services.payout_key_prefix(run=run)
    ).count() == Payout.objects.filter(run=run).values("transaction_id").distinct().count()
    assert ledger_verify().ok
