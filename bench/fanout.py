"""Time one campaign to 100,000 consenting regulars against a raw INSERT … SELECT of the same rows.

    .venv/bin/python bench/fanout.py [--recipients 100000] [--backend sqlite|postgresql|both]

Each backend runs in its own child process (Django is set up once per process): SQLite in a
fresh file in a temporary directory, and PostgreSQL in a scratch database next to
DATABASE_URL's (or the local postgres://postgres@127.0.0.1:5432/test; skipped with a note if
none answers), created by bench/scratch_db.py and dropped at the end.

Seeding is set-based: one INSERT … SELECT each for the customers, their follows of one store
and their ad consents (granted a year earlier), then message credit for the store. Then, in
the same process, rounds of:

- raw: one plain `INSERT INTO messaging_delivery … SELECT` from follows joined to standing
  consents (with the same MD5 opt-out token expression) for a campaign row made by hand;
- dangol: `campaign_create` + `campaign_send` of an in-app ad at 12:00 KST — the whole
  service: campaign and credit-account locks, the aggregate count, the insert and the ledger
  charge, in one transaction.

Three rounds, alternating which goes first; after each timed insert the delivery table is
emptied (untimed) so every insert meets the same empty table and indexes. The best of the
three is kept for each. The child checks 100,000 deliveries per campaign,
the charge (₩15 each) and `ledger_verify`, and prints as its last line
`BENCH fanout backend=<db> recipients=<n> dangol_s=<a> raw_s=<b> ratio=<a/b> peak_rss_mb=<m>`.
peak_rss_mb is the child process's peak resident set (resource.getrusage ru_maxrss) read after
the campaigns: the Python interpreter, Django, the seeding and every round — and, on SQLite,
the database engine's page cache, which lives in the process. The PostgreSQL server's own
memory is another process and is not included. The parent prints the children's BENCH lines
again at the end, one per backend.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"
ROUNDS = 3


def _fix_path() -> None:
    # bench/http.py would shadow the standard library's `http` that Django imports.
    here = str(HERE)
    sys.path[:] = [entry for entry in sys.path if str(Path(entry or ".").resolve()) != here]
    sys.path.insert(0, str(REPO / "src"))


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


def seed(*, recipients: int) -> int:
    """Create one store and `recipients` customers following it with a standing ad consent."""
    from django.db import connection, transaction

    from dangol.core import clock
    from dangol.ledger.models import Account
    from dangol.ledger.services import account_get_or_create
    from dangol.messaging.credit import message_credit_grant
    from dangol.places.models import Market, Region, Store

    started = time.perf_counter()
    vendor = connection.vendor
    sido = Region.objects.create(code="26", level="sido", name="부산", full_name="부산광역시")
    region = Region.objects.create(
        code="26350", level="sigungu", name="해운대구", full_name="부산광역시 해운대구",
        parent=sido,
    )
    market = Market.objects.create(
        name="반송큰시장", region=region, road_address="부산광역시 해운대구 윗반송로51번길 86",
        latitude="35.231100", longitude="129.156200",
    )
    store = Store.objects.create(
        name="바다수산", category="seafood", market=market, region=region, phone="+82515441234"
    )
    series = (
        "SELECT g AS n FROM generate_series(1, %s) AS g"
        if vendor == "postgresql"
        else "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) "
        "SELECT n FROM s"
    )
    when = connection.ops.adapt_datetimefield_value(clock.kst(2025, 11, 1, 12, 0))
    true = True
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, phone, name, is_active, is_staff,"
            " created_at, updated_at)"
            f" SELECT '!', %s, '+8210' || CAST(10000000 + n AS TEXT), '단골' || CAST(n AS TEXT),"  # noqa: S608
            f" %s, %s, %s, %s FROM ({series}) AS q",
            [False, true, False, when, when, recipients],
        )
        cursor.execute("SELECT MIN(id), MAX(id) FROM accounts_user")
        first, last = cursor.fetchone()
        assert last - first + 1 == recipients
        cursor.execute(
            "INSERT INTO regulars_follow (customer_id, store_id, source, created_at, updated_at)"
            " SELECT id, %s, 'demo', %s, %s FROM accounts_user",
            [store.pk, when, when],
        )
        cursor.execute(
            "INSERT INTO regulars_consent (customer_id, store_id, ad_granted_at, method,"
            " text_version, text, confirmed_at, created_at, updated_at)"
            " SELECT id, %s, %s, 'web', 'bench', '', %s, %s, %s FROM accounts_user",
            [store.pk, when, when, when, when],
        )
    external = account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.EXTERNAL, non_negative=False,
        name="외부 입금",
    )
    message_credit_grant(
        store=store, amount=recipients * 15 * ROUNDS, from_account=external,
        idempotency_key="bench-fanout",
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    print(f"seeded {recipients:,} consenting regulars in {time.perf_counter() - started:.1f} s")
    return store.pk


def raw_insert(*, store_id: int, round_no: int) -> float:
    """Insert the same rows with one plain INSERT … SELECT; return the seconds it took."""
    from django.db import connection, transaction

    from dangol.core import clock
    from dangol.messaging.models import Campaign

    now = clock.now()
    campaign = Campaign.objects.create(
        store_id=store_id, kind="ad", body="raw", audience="all", channels=["in_app"],
        scheduled_at=now, status="sent", idempotency_key=f"bench-raw-{round_no}",
    )
    at = connection.ops.adapt_datetimefield_value(now)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO messaging_delivery (campaign_id, customer_id, channel, address, status,"
            " price, release_at, opt_out_token, attempts, provider_id, error, suppressed_reason,"
            " refunded, created_at, updated_at)"
            " SELECT %s, f.customer_id, 'in_app', '', 'visible', 15, %s,"
            " MD5(%s || CAST(f.customer_id AS TEXT)), 0, '', '', '', %s, %s, %s"
            " FROM regulars_follow f JOIN regulars_consent c"
            " ON c.customer_id = f.customer_id AND c.store_id = f.store_id"
            " WHERE f.store_id = %s AND c.ad_granted_at <= %s"
            " AND (c.ad_withdrawn_at IS NULL OR c.ad_withdrawn_at > %s)",
            [campaign.pk, at, f"raw-secret:{campaign.pk}:", False, at, at, store_id, at, at],
        )
        inserted = cursor.rowcount
    elapsed = time.perf_counter() - started
    print(f"raw INSERT … SELECT round {round_no}: {inserted:,} rows in {elapsed:.3f} s")
    return elapsed


def dangol_send(*, store_id: int, round_no: int, recipients: int) -> float:
    """Create and send one in-app ad through the services; return the seconds it took."""
    from dangol.messaging.campaigns import campaign_create, campaign_send
    from dangol.messaging.models import Delivery
    from dangol.places.models import Store

    store = Store.objects.get(pk=store_id)
    started = time.perf_counter()
    campaign = campaign_create(
        store=store, kind="ad", body="고등어 30% 할인, 오늘 19시까지", audience="all",
        channels=["in_app"], idempotency_key=f"bench-dangol-{round_no}",
    )
    campaign = campaign_send(campaign=campaign)
    elapsed = time.perf_counter() - started
    rows = Delivery.objects.filter(campaign=campaign).count()
    assert rows == recipients, rows
    assert campaign.cost == recipients * 15, campaign.cost
    print(f"campaign_send round {round_no}: {rows:,} deliveries, cost {campaign.cost:,} won "
          f"in {elapsed:.3f} s")
    return elapsed


def empty_deliveries() -> None:
    """Delete every delivery (untimed), leaving the table empty for the next timed insert."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM messaging_delivery")
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM messaging_delivery")


def child(*, backend: str, recipients: int) -> int:
    """Run the benchmark on one backend in this process."""
    import resource
    from contextlib import AbstractContextManager, nullcontext

    _fix_path()
    with tempfile.TemporaryDirectory(prefix="dangol-bench-") as var_dir:
        os.environ["DANGOL_VAR_DIR"] = var_dir
        os.environ["DJANGO_SETTINGS_MODULE"] = "dangol.config.settings"
        sys.path.append(str(HERE))  # after the standard library: bench/http.py stays hidden
        context: AbstractContextManager[str]
        if backend == "postgresql":
            from scratch_db import scratch_database

            base = postgres_url()
            if base is None:
                print("no reachable PostgreSQL: skipped")
                return 0
            context = scratch_database(base, f"dangol_bench_fanout_{os.getpid()}")
        else:
            context = nullcontext(f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}")
        with context as url:
            os.environ["DATABASE_URL"] = url
            import django

            django.setup()
            from django.core.management import call_command

            from dangol.core import clock
            from dangol.ledger.selectors import ledger_verify

            call_command("migrate", verbosity=0)
            clock.freeze(clock.kst(2026, 11, 21, 12, 0))
            store_id = seed(recipients=recipients)
            raw_times: list[float] = []
            dangol_times: list[float] = []
            for round_no in range(1, ROUNDS + 1):
                # Alternate the order, and empty the delivery table after each timed insert
                # (untimed) so that every insert meets the same empty table and indexes.
                runs = [raw_times, dangol_times]
                for times in runs if round_no % 2 else reversed(runs):
                    if times is raw_times:
                        times.append(raw_insert(store_id=store_id, round_no=round_no))
                    else:
                        times.append(dangol_send(
                            store_id=store_id, round_no=round_no, recipients=recipients
                        ))
                    empty_deliveries()
            peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            report = ledger_verify()
            print(f"ledger verify: {'ok' if report.ok else 'FAILED'}")
            assert report.ok
    dangol_s, raw_s = min(dangol_times), min(raw_times)
    print(
        f"BENCH fanout backend={backend} recipients={recipients} dangol_s={dangol_s:.3f} "
        f"raw_s={raw_s:.3f} ratio={dangol_s / raw_s:.2f} peak_rss_mb={peak_kb / 1024:.0f}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(backend=args.backend, recipients=args.recipients)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    lines: list[str] = []
    status = 0
    for backend in backends:
        print(f"--- {backend}", flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--backend", backend,
             "--recipients", str(args.recipients)],
            capture_output=True, text=True, check=False,
        )
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        status = status or done.returncode
        lines += [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    print("--- summary")
    for line in lines:
        print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
