"""A settlement run killed for real (SIGKILL, between stores) and run again pays exactly
what an uninterrupted run pays (issue 4, "Done when").

The seed is two identical groups of stores, each on its own policy: the same vouchers
bought and redeemed at the same moments, through the services. A child Python process runs
group A's settlement with `after_store` set to kill its own process with SIGKILL after a few
stores have been paid; the run is then resumed. Group B is settled without interruption.
Both groups' payouts must equal, store for store, the amounts computed from the seed.

PostgreSQL: the seed is written by the test itself into the test database (committed,
`transaction=True`), and the child connects to that same database.

SQLite: pytest-django puts the SQLite test database in memory, where no other process can
see it, so the SQLite variant runs every step in child processes against a database file in
`tmp_path`: one child migrates and seeds it, one is killed, one resumes, one reports.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from dangol.core import clock
from dangol.core.clock import kst
from dangol.settlement.models import BASIS_POINTS

NOW = kst(2026, 12, 1, 9, 0)
CUTOFF = kst(2026, 11, 30, 23, 59)
STORES_PER_GROUP = 7
BATCH_SIZE = 2
KILL_AFTER = 3  # stores; with batches of 2 the kill falls after the second batch committed
PAID_BEFORE_KILL = 4
SETTLEMENT_FEE_BP = 150
VOUCHER_FEE_BP = 300
REPO = Path(__file__).resolve().parents[2]


# --- the seed ---------------------------------------------------------------------------------


def _redeemed_amounts(index: int) -> list[int]:
    """Return what store `index` of a group redeems before the cut-off; store 5 redeems
    nothing (it gets no payout)."""
    if index == 5:
        return []
    return [1_000 * (index + 1) + 37 * index, 2_345 + index]


def expected_payouts() -> list[tuple[int, int, int, int]]:
    """Return (index, amount, fee, net) of the payout each store of a group should get."""
    rows = []
    for index in range(STORES_PER_GROUP):
        owed = sum(
            amount - amount * VOUCHER_FEE_BP // BASIS_POINTS
            for amount in _redeemed_amounts(index)
        )
        if owed:
            fee = owed * SETTLEMENT_FEE_BP // BASIS_POINTS
            rows.append((index, owed, fee, owed - fee))
    return rows


def seed() -> dict[str, Any]:
    """Write two identical groups of stores with redemptions before and after the cut-off;
    return {"policies": [A, B], "stores": [[A's store ids], [B's store ids]]} (ids)."""
    from dangol.payments.providers.sandbox import CARD_APPROVE
    from dangol.settlement import services as settlement_services
    from dangol.vouchers import services as voucher_services
    from tests.factories import CustomerFactory, MarketFactory, StaffUserFactory, StoreFactory

    staff, buyer = StaffUserFactory(), CustomerFactory()
    market = MarketFactory()
    policies, groups = [], []
    for group in ("A", "B"):
        policy = settlement_services.settlement_policy_create(
            name=f"월 10회 {group}", cycles_per_month=10, fee_bp=SETTLEMENT_FEE_BP
        )
        stores = []
        for index in range(STORES_PER_GROUP):
            store = StoreFactory(market=market)
            settlement_services.store_settlement_account_set(
                store=store, policy=policy, bank_name="부산은행",
                account_number=f"101-2000-{index:04d}",
            )
            product = voucher_services.voucher_product_create(
                name=f"{store.name} 5만원권", store=store, face_value=50_000,
                sale_price=50_000, fee_bp=VOUCHER_FEE_BP,
            )
            clock.freeze(kst(2026, 11, 10, 12))
            voucher = voucher_services.voucher_purchase(
                product=product, buyer=buyer, card_number=CARD_APPROVE,
                idempotency_key=f"kill-seed-{group}-{index}",
            )
            moments = [kst(2026, 11, 20, 12), kst(2026, 11, 30, 23, 59)]
            for step, (amount, moment) in enumerate(
                zip(_redeemed_amounts(index), moments, strict=False)
            ):
                clock.freeze(moment)
                voucher_services.voucher_redeem(
                    voucher=voucher, store=store, amount=amount, staff=staff,
                    idempotency_key=f"kill-seed-{group}-{index}-{step}",
                )
            # After the cut-off: must not be paid by this run.
            clock.freeze(kst(2026, 12, 1, 0, 0))
            voucher_services.voucher_redeem(
                voucher=voucher, store=store, amount=999, staff=staff,
                idempotency_key=f"kill-seed-{group}-{index}-late",
            )
            stores.append(store.pk)
        policies.append(policy.pk)
        groups.append(stores)
    clock.freeze(NOW)
    return {"policies": policies, "stores": groups}


def payouts_by_index(policy_id: int, store_ids: list[int]) -> list[tuple[int, int, int, int]]:
    """Return (index in its group, amount, fee, net) of every payout of the policy's run."""
    from dangol.settlement.models import Payout

    position = {store_id: index for index, store_id in enumerate(store_ids)}
    rows = Payout.objects.filter(run__policy_id=policy_id, run__cutoff=CUTOFF).values_list(
        "store_id", "amount", "fee", "net"
    )
    return sorted((position[store_id], amount, fee, net) for store_id, amount, fee, net in rows)


# --- the child process ------------------------------------------------------------------------


def child_main(argv: list[str]) -> None:
    """Entry point of the child process: `ACTION POLICY_ID` with ACTION one of
    migrate-seed, run, kill-run, kill-run-parallel, report. The database comes from
    DATABASE_URL; Django is set up before this module is imported."""
    from django.core.management import call_command

    from dangol.ledger.selectors import ledger_verify
    from dangol.settlement import services as settlement_services
    from dangol.settlement.models import Payout, SettlementPolicy, SettlementRun

    action = argv[0]
    clock.freeze(NOW)
    if action == "migrate-seed":
        call_command("migrate", verbosity=0)
        print(json.dumps(seed()))  # noqa: T201
        return
    policy = SettlementPolicy.objects.get(pk=int(argv[1]))
    if action in ("kill-run", "kill-run-parallel"):
        paid: list[int] = []

        def kill_after_some(store_id: int) -> None:
            paid.append(store_id)
            if len(paid) == KILL_AFTER:
                os.kill(os.getpid(), signal.SIGKILL)

        settlement_services.after_store = kill_after_some
        # One batch after another, so the kill falls at a known point; "kill-run-parallel"
        # pays three batches at a time (PostgreSQL), so more may have committed by then.
        settlement_services.settlement_run(
            policy=policy, cutoff=CUTOFF, batch_size=BATCH_SIZE,
            workers=3 if action == "kill-run-parallel" else 1,
        )
        raise SystemExit("the run finished although it should have been killed")
    if action == "run":
        settlement_services.settlement_run(policy=policy, cutoff=CUTOFF, batch_size=BATCH_SIZE)
        return
    if action == "report":
        runs = SettlementRun.objects.filter(policy=policy, cutoff=CUTOFF)
        print(  # noqa: T201
            json.dumps(
                {
                    "payouts": list(
                        Payout.objects.filter(run__in=runs)
                        .order_by("store_id")
                        .values_list("store_id", "amount", "fee", "net")
                    ),
                    "status": [run.status for run in runs],
                    "verify_ok": ledger_verify().ok,
                }
            )
        )
        return
    raise SystemExit(f"unknown action {action}")


def run_child(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run `child_main(args)` in a new Python process on `database_url`."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DANGOL_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "dangol.config.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }
    completed = subprocess.run(
        [
            sys.executable, "-c",
            "import sys, django; django.setup(); "
            "from tests.settlement.test_kill import child_main; child_main(sys.argv[1:])",
            *args,
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    if check:
        assert completed.returncode == 0, completed.stderr
    return completed


def assert_killed(completed: subprocess.CompletedProcess) -> None:
    assert completed.returncode == -signal.SIGKILL, (completed.returncode, completed.stderr)


# --- PostgreSQL -------------------------------------------------------------------------------


def _test_database_url() -> str:
    """Return the URL of the database this test process uses (pytest-django's test copy)."""
    settings = connection.settings_dict
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    host = settings["HOST"] or "localhost"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{settings['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_run_resumed_pays_exactly_what_an_uninterrupted_run_pays_postgres():
    from dangol.ledger.selectors import ledger_verify
    from dangol.settlement import services as settlement_services
    from dangol.settlement.models import Payout, SettlementPolicy, SettlementRun

    seeded = seed()
    (policy_a, policy_b), (stores_a, stores_b) = seeded["policies"], seeded["stores"]
    url = _test_database_url()

    killed = run_child(url, "kill-run", str(policy_a), check=False)

    assert_killed(killed)
    run_a = SettlementRun.objects.get(policy_id=policy_a, cutoff=CUTOFF)
    assert run_a.status == SettlementRun.Status.RUNNING
    assert Payout.objects.filter(run=run_a).count() == PAID_BEFORE_KILL
    assert ledger_verify().ok

    run_child(url, "run", str(policy_a))
    settlement_services.settlement_run(
        policy=SettlementPolicy.objects.get(pk=policy_b), cutoff=CUTOFF, batch_size=BATCH_SIZE
    )

    run_a.refresh_from_db()
    assert run_a.status == SettlementRun.Status.COMPLETED
    expected = expected_payouts()
    assert payouts_by_index(policy_a, stores_a) == expected
    assert payouts_by_index(policy_b, stores_b) == expected
    assert Payout.objects.count() == 2 * len(expected)
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_parallel_run_resumed_pays_exactly_what_an_uninterrupted_run_pays():
    """Batches paid three at a time, each on its own connection, the process SIGKILLed after
    the third store: the batches that committed stay, the others roll back, and the resumed
    run ends with exactly the payouts of the uninterrupted group."""
    from dangol.ledger.selectors import ledger_verify
    from dangol.settlement import selectors
    from dangol.settlement.models import Payout, SettlementRun

    seeded = seed()
    (policy_a, policy_b), (stores_a, stores_b) = seeded["policies"], seeded["stores"]
    url = _test_database_url()

    killed = run_child(url, "kill-run-parallel", str(policy_a), check=False)

    assert_killed(killed)
    run_a = SettlementRun.objects.get(policy_id=policy_a, cutoff=CUTOFF)
    assert run_a.status == SettlementRun.Status.RUNNING
    paid = Payout.objects.filter(run=run_a).count()
    assert PAID_BEFORE_KILL <= paid <= len(expected_payouts())
    assert ledger_verify().ok

    run_child(url, "run", str(policy_a))
    run_child(url, "run", str(policy_b))

    run_a.refresh_from_db()
    assert run_a.status == SettlementRun.Status.COMPLETED
    expected = expected_payouts()
    assert payouts_by_index(policy_a, stores_a) == expected
    assert payouts_by_index(policy_b, stores_b) == expected
    assert selectors.run_reconcile(run=run_a).ok
    assert ledger_verify().ok


# --- SQLite -----------------------------------------------------------------------------------


def test_killed_run_resumed_pays_exactly_what_an_uninterrupted_run_pays_sqlite(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant (the PostgreSQL one is the test above)")
    url = f"sqlite:///{tmp_path / 'kill.sqlite3'}"
    seeded = json.loads(run_child(url, "migrate-seed").stdout)
    (policy_a, policy_b), (stores_a, stores_b) = seeded["policies"], seeded["stores"]

    killed = run_child(url, "kill-run", str(policy_a), check=False)

    assert_killed(killed)
    after_kill = json.loads(run_child(url, "report", str(policy_a)).stdout)
    assert after_kill["status"] == ["running"]
    assert len(after_kill["payouts"]) == PAID_BEFORE_KILL
    assert after_kill["verify_ok"]

    run_child(url, "run", str(policy_a))
    run_child(url, "run", str(policy_b))

    expected = expected_payouts()
    for policy_id, store_ids in ((policy_a, stores_a), (policy_b, stores_b)):
        report = json.loads(run_child(url, "report", str(policy_id)).stdout)
        position = {store_id: index for index, store_id in enumerate(store_ids)}
        payouts = sorted(
            (position[store_id], amount, fee, net)
            for store_id, amount, fee, net in report["payouts"]
        )
        assert payouts == expected
        assert report["status"] == ["completed"]
        assert report["verify_ok"]
