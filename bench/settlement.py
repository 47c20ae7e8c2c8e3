"""Time one settlement run over 10,000 stores and 1,000,000 redemptions against a raw GROUP BY.

    .venv/bin/python bench/settlement.py [--stores 10000] [--rows 1000000] [--batch-size N]
        [--workers N]

Uses PostgreSQL when DATABASE_URL (or the local postgres://postgres@127.0.0.1:5432/test)
answers: it creates a scratch database next to it, migrates into it and drops it at the
end; otherwise a fresh SQLite file in a temporary directory. The redemptions are inserted
set-based (one ledger transaction per redemption: the store's payable gains the amount, a
counter account loses it) and the balances set from the entries, so `ledger verify` holds.
Then, in the same process, it times the raw `SELECT account_id, SUM(amount) … GROUP BY
account_id` over the redemption rows and one `settlement_run` over all stores, checks that
the run paid exactly the raw total, and prints as its last line
`BENCH settlement rows=<n> dangol_s=<a> raw_s=<b> ratio=<a/b>`.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"


def postgres_url() -> str | None:
    """Return a reachable PostgreSQL URL, or None."""
    import psycopg

    url = os.environ.get("DATABASE_URL") or LOCAL_POSTGRES
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return None
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def build(*, stores: int, rows: int, vendor: str) -> dict[str, int]:
    """Create the stores, their accounts and `rows` redemptions; return id ranges."""
    from django.db import connection, transaction

    from dangol.core import clock
    from dangol.ledger.models import Account
    from dangol.places.models import Region, Store
    from dangol.settlement import services
    from dangol.settlement.models import StoreSettlementAccount

    started = time.perf_counter()
    sido = Region.objects.create(code="26", level="sido", name="부산", full_name="부산광역시")
    region = Region.objects.create(
        code="26350", level="sigungu", name="해운대구", full_name="부산광역시 해운대구",
        parent=sido,
    )
    policy = services.settlement_policy_create(
        name="월 10회", cycles_per_month=10, payout_lag_days=1, fee_bp=0
    )
    with transaction.atomic():
        created = Store.objects.bulk_create(
            Store(name=f"가게{index:05d}", category="seafood", region=region)
            for index in range(stores)
        )
        StoreSettlementAccount.objects.bulk_create(
            StoreSettlementAccount(
                store=store, policy=policy, bank_name="신한은행",
                account_number=f"110-{index % 1000:03d}-{index:06d}",
            )
            for index, store in enumerate(created)
        )
        payables = Account.objects.bulk_create(
            Account(
                owner_type="store", owner_id=store.pk, kind=Account.Kind.STORE_PAYABLE,
                name=f"{store.name} 정산 예정액",
            )
            for store in created
        )
        counter = Account.objects.create(
            owner_type="", kind=Account.Kind.VOUCHER_LIABILITY, name="상품권 잔액"
        )
    first_account = payables[0].pk
    assert payables[-1].pk - first_account + 1 == stores, "account ids are not contiguous"
    redeemed_at = clock.kst(2026, 11, 20, 12, 0)
    series = (
        "SELECT g AS n FROM generate_series(1, %s) AS g"
        if vendor == "postgresql"
        else "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) "
        "SELECT n FROM s"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_transaction "
            "(idempotency_key, kind, description, fingerprint, metadata, created_at) "
            f"SELECT 'bench:' || n, 'voucher_redeem', '', '', '{{}}', %s FROM ({series}) AS q",  # noqa: S608
            [connection.ops.adapt_datetimefield_value(redeemed_at), rows],
        )
        cursor.execute(
            "SELECT MIN(id), MAX(id), COUNT(*) FROM ledger_transaction "
            "WHERE kind = 'voucher_redeem'"
        )
        first_tx, last_tx, count = cursor.fetchone()
        assert last_tx - first_tx + 1 == count == rows, "transaction ids are not contiguous"
        amount = "(1000 + (n %% 50) * 100)"
        cursor.execute(
            "INSERT INTO ledger_entry (transaction_id, account_id, amount) "
            f"SELECT %s + n - 1, %s + ((n - 1) %% %s), {amount} FROM ({series}) AS q",  # noqa: S608
            [first_tx, first_account, stores, rows],
        )
        cursor.execute(
            "INSERT INTO ledger_entry (transaction_id, account_id, amount) "
            f"SELECT %s + n - 1, %s, -{amount} FROM ({series}) AS q",  # noqa: S608
            [first_tx, counter.pk, rows],
        )
        cursor.execute(
            "UPDATE ledger_account SET balance = s.total FROM "
            "(SELECT account_id, SUM(amount) AS total FROM ledger_entry GROUP BY account_id) AS s "
            "WHERE ledger_account.id = s.account_id"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    print(
        f"built {stores} stores and {rows} redemptions in {time.perf_counter() - started:.1f} s"
    )
    return {
        "policy": policy.pk,
        "first_account": first_account,
        "last_account": first_account + stores - 1,
    }


def measure(*, ids: dict[str, int], batch_size: int, workers: int) -> tuple[float, float]:
    import datetime as dt

    from django.db import connection
    from django.db.models import Sum

    from dangol.core import calendar, clock
    from dangol.ledger.selectors import ledger_verify
    from dangol.settlement import services
    from dangol.settlement.models import Payout, SettlementPolicy

    clock.freeze(clock.kst(2026, 12, 1, 9, 0))
    # A worker that runs settlements has imported the Korean holiday tables long before; load
    # them here (for another year, so 2026's are still computed inside the timed run) so that
    # the first-import cost (≈ 0.2 s) is not counted as the run's.
    calendar.is_business_day(dt.date(2020, 1, 2))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_id, SUM(amount) FROM ledger_entry "
            "WHERE account_id BETWEEN %s AND %s GROUP BY account_id",
            [ids["first_account"], ids["last_account"]],
        )
        raw_rows = cursor.fetchall()
    raw_s = time.perf_counter() - started
    raw_total = sum(int(total) for _account, total in raw_rows)

    policy = SettlementPolicy.objects.get(pk=ids["policy"])
    timings: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        begun = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append((time.perf_counter() - begun, " ".join(sql.split())[:90]))

    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        run = services.settlement_run(
            policy=policy, cutoff=clock.kst(2026, 11, 30, 23, 59), batch_size=batch_size,
            workers=workers,
        )
    dangol_s = time.perf_counter() - started
    if os.environ.get("BENCH_PROFILE"):
        for seconds, sql in sorted(timings, reverse=True)[:15]:
            print(f"  {seconds * 1000:8.1f} ms  {sql}")
        print(f"  {len(timings)} statements, {sum(t for t, _ in timings):.3f} s in the database")

    paid = Payout.objects.filter(run=run).aggregate(total=Sum("amount"))
    payouts = Payout.objects.filter(run=run).count()
    print(f"raw GROUP BY: {len(raw_rows)} accounts, total {raw_total:,} won in {raw_s:.3f} s")
    batches = Payout.objects.filter(run=run).values("transaction_id").distinct().count()
    at_a_time = workers if connection.vendor == "postgresql" else 1  # SQLite: one writer
    print(
        f"settlement_run: {payouts} payouts in {batches} ledger transactions "
        f"(batch size {batch_size}, {at_a_time} at a time), "
        f"total {paid['total']:,} won in {dangol_s:.3f} s"
    )
    assert paid["total"] == raw_total, "the run's payout total differs from the raw sum"
    report = ledger_verify()
    print(f"ledger verify: {'ok' if report.ok else 'FAILED'} ({report.transactions} transactions)")
    assert report.ok
    return dangol_s, raw_s


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument(
        "--workers", type=int, default=2,
        help="batches paid at a time (PostgreSQL); 1 = one after another",
    )
    args = parser.parse_args()

    # Python puts this script's folder first on the path, where bench/http.py would shadow
    # the standard library's `http` that Django imports.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [entry for entry in sys.path if str(Path(entry or ".").resolve()) != here]
    sys.path.insert(0, str(REPO / "src"))

    with tempfile.TemporaryDirectory(prefix="dangol-bench-") as var_dir:
        os.environ["DANGOL_VAR_DIR"] = var_dir
        os.environ["DJANGO_SETTINGS_MODULE"] = "dangol.config.settings"
        base = postgres_url()
        scratch = f"dangol_bench_settlement_{os.getpid()}"
        if base is not None:
            admin_execute(base, f'CREATE DATABASE "{scratch}"')
            os.environ["DATABASE_URL"] = with_database(base, scratch)
            print(f"database: PostgreSQL (scratch database {scratch})")
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}"
            print("database: SQLite in a temporary directory (no reachable PostgreSQL URL)")
        try:
            import django

            django.setup()
            from django.core.management import call_command
            from django.db import connection

            call_command("migrate", verbosity=0)
            ids = build(stores=args.stores, rows=args.rows, vendor=connection.vendor)
            dangol_s, raw_s = measure(ids=ids, batch_size=args.batch_size, workers=args.workers)
        finally:
            if base is not None:
                from django.db import connections

                connections.close_all()
                admin_execute(base, f'DROP DATABASE IF EXISTS "{scratch}"')

    print(
        f"BENCH settlement rows={args.rows} dangol_s={dangol_s:.3f} raw_s={raw_s:.3f} "
        f"ratio={dangol_s / raw_s:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
