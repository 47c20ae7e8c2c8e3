"""run_reconcile: ledger postings, payouts and provider captures, every mismatch listed."""

import pytest

from dangol.core import clock
from dangol.core.clock import kst
from dangol.settlement import services
from dangol.settlement.models import Payout
from dangol.settlement.selectors import run_payouts, run_reconcile
from tests.settlement.conftest import NOW, redeem

pytestmark = pytest.mark.django_db

CUTOFF = kst(2026, 11, 30, 23, 59)


@pytest.fixture
def settled(policy, make_store):
    clock.freeze(NOW)
    stores = [make_store() for _ in range(3)]
    for index, store in enumerate(stores):
        redeem(store, 1_000 * (index + 1), at=kst(2026, 11, 20), key=f"r{index}")
    return services.settlement_run(policy=policy, cutoff=CUTOFF), stores


def test_clean_run_reconciles(settled):
    run, stores = settled

    report = run_reconcile(run=run, captures={store.pk: 1_000 * (i + 1)
                                               for i, store in enumerate(stores)})

    assert report.ok
    assert report.ledger_total == report.payout_total == 6_000


def test_tampered_payout_is_listed(settled):
    run, stores = settled
    Payout.objects.filter(store=stores[1]).update(amount=2_500, net=2_500)

    report = run_reconcile(run=run)

    assert [(m.store_id, m.reason, m.ledger, m.payout) for m in report.mismatches] == [
        (stores[1].pk, "ledger_payout_differ", 2_000, 2_500)
    ]


def test_missing_and_short_captures_are_listed(settled):
    run, stores = settled

    report = run_reconcile(run=run, captures={stores[0].pk: 1_000, stores[1].pk: 1_999})

    assert [(m.store_id, m.reason, m.captured) for m in report.mismatches] == [
        (stores[1].pk, "capture_differs", 1_999),
        (stores[2].pk, "capture_differs", None),
    ]


def test_run_payouts_reads_in_one_query(settled, django_assert_num_queries):
    run, _stores = settled

    with django_assert_num_queries(1):
        names = [payout.store.name for payout in run_payouts(run=run)]

    assert len(names) == 3


def test_fee_moved_between_stores_of_a_batch_is_listed(policy, make_store):
    clock.freeze(NOW)
    policy.fee_bp = 100
    policy.save(update_fields=["fee_bp"])
    stores = [make_store() for _ in range(2)]
    for index, store in enumerate(stores):
        redeem(store, 10_000, at=kst(2026, 11, 20), key=f"r{index}")
    run = services.settlement_run(policy=policy, cutoff=CUTOFF)
    Payout.objects.filter(store=stores[0]).update(fee=0, net=10_000)

    report = run_reconcile(run=run)

    # Per store the figures still agree (the fee is only on the Payout row), but the batch's
    # clearing leg no longer equals the sum of its nets.
    assert report.mismatches == []
    assert report.batch_mismatches == [Payout.objects.get(store=stores[0]).transaction_id]
    assert not report.ok
