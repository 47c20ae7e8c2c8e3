"""Time the programs console at national scale: 1,388 markets and 100,000 stores.

    .venv/bin/python bench/console.py [--stores 100000] [--applications 5000] [--postgres]
                                      [--data ../shared/data]

Seeds a scratch database — a fresh SQLite file in a temporary directory, or with --postgres
a scratch PostgreSQL database beside DATABASE_URL's (bench/scratch_db.py, dropped at the
end) — with the national regions and markets through the real importers (`dangol import
regions`, `dangol import markets`), then `--stores` stores spread over the markets
(bulk_create in batches), an operator organisation and user, one program created with
program_create and opened, every active 시군구 enrolled with rollout.region_enrol, some
enrolments advanced with enrolment_advance, a roll-out target, `--applications`
applications through application_submit (half declare sales within the limit and are
approved with their grants made by the real services, half wait in review), and pledges of
several organisations through pledge_create.

Then, with Django's test Client signed in as the operator (as the ministry's auditor for
the pledges page), it loads each console page once to warm up and five times timed, with
the queries counted (CaptureQueriesContext), and the trivial view /healthz the same way
through the same client. Every page must answer 200. It prints per page the median ms, the
queries and the ratio to /healthz, and as its last line
`BENCH console markets=<m> stores=<s> list_ms=… detail_ms=… pledges_ms=… export_ms=…
max_queries=<q>` (on one line). BENCH_PROFILE=<page> (list, detail, pledges, export)
prints a cProfile of one more load of that page.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REGIONS_FILE = "legal_dong_codes.csv"
MARKETS_FILE = "traditional_markets_standard_2024-11-04.cp949.csv"
SCRATCH_NAME = "dangol_bench_console"
BATCH = 5_000
ROUNDS = 5


def _valid_brn(number: int) -> str:
    from dangol.core.brn import brn_check_digit

    first_nine = f"{100_000_000 + number:09d}"[-9:]
    digits = first_nine + str(brn_check_digit(first_nine))
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def _step(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {label} in {now - started:.1f} s", flush=True)
    return now


def seed(*, data: Path, stores: int, applications: int) -> dict[str, Any]:
    """Fill the empty, migrated database; return the ids the measurements need."""
    from django.db import connection, transaction

    from dangol.accounts.models import User
    from dangol.core import clock
    from dangol.core.tenancy import Role
    from dangol.organisations.models import Organisation, OrganisationMembership
    from dangol.places.importers.markets import markets_import
    from dangol.places.importers.regions import regions_import
    from dangol.places.models import Market, Region, Store, StoreMembership
    from dangol.programs import pledges, rollout, services
    from dangol.programs.models import Application, Enrolment, Grant, Pledge

    started = begun = time.perf_counter()
    regions = regions_import(file=data / REGIONS_FILE)
    report = markets_import(file=data / MARKETS_FILE)
    print(
        f"  imported {regions.total} region rows and {report.total} market rows "
        f"({report.created} created, {len(report.rejected)} rejected)"
    )
    started = _step("import", started)

    markets = list(Market.objects.order_by("id").values_list("id", "region_id"))
    merchant = User.objects.create_user("merchant@bench.example", name="상인")
    with transaction.atomic():
        for first in range(0, stores, BATCH):
            Store.objects.bulk_create(
                Store(
                    name=f"가게{index:06d}", category="seafood",
                    market_id=markets[index % len(markets)][0],
                    region_id=markets[index % len(markets)][1],
                    brn=_valid_brn(index) if index < applications else None,
                )
                for index in range(first, min(first + BATCH, stores))
            )
        applying = list(Store.objects.order_by("id")[:applications])
        StoreMembership.objects.bulk_create(
            StoreMembership(store=store, user=merchant, role=Role.OWNER) for store in applying
        )
    started = _step(f"{stores} stores ({applications} owned by the applicant)", started)

    operator_org = Organisation.objects.create(name="상생플랫폼", kind=Organisation.Kind.PLATFORM)
    other_org = Organisation.objects.create(name="메시지플랫폼", kind=Organisation.Kind.PLATFORM)
    ministry = Organisation.objects.create(name="중소벤처기업부", kind=Organisation.Kind.MINISTRY)
    operator = User.objects.create_user("operator@bench.example", name="운영자")
    auditor = User.objects.create_user("auditor@bench.example", name="감사자")
    OrganisationMembership.objects.create(organisation=operator_org, user=operator,
                                          role=Role.OPERATOR)
    OrganisationMembership.objects.create(organisation=ministry, user=auditor,
                                          role=Role.AUDITOR)
    today = clock.today_kst()
    program = services.program_create(
        name="전국 상생 사업", operator=operator_org, starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=300), budget=20_000_000_000, created_by=operator,
    )
    services.program_open(program=program)
    sigungu = list(Region.objects.filter(level=Region.Level.SIGUNGU, is_active=True)
                   .order_by("code"))
    enrolled = 0
    for region in sigungu:
        enrolled += rollout.region_enrol(program=program, region=region).enrolled
    started = _step(f"program; {len(sigungu)} 시군구 enrolled ({enrolled} markets)", started)

    enrolments = list(Enrolment.objects.filter(program=program).order_by("id")[:300])
    for index, enrolment in enumerate(enrolments):
        rollout.enrolment_advance(
            enrolment=enrolment, to="active" if index < 150 else "onboarding"  # noqa: PLR2004
        )
    rollout.rollout_target_set(program=program, markets=100, due_on=program.ends_on)
    started = _step("300 enrolments advanced (150 active), target 100", started)

    for index, store in enumerate(applying):
        services.application_submit(
            program=program, store=store, applicant=merchant,
            declared_annual_sales=500_000_000 if index % 2 == 0 else 2_000_000_000,
        )
    started = _step(f"{applications} applications through application_submit", started)

    for organisation, metric, target in (
        (operator_org, Pledge.Metric.MERCHANTS_CREDITED, 10_000),
        (operator_org, Pledge.Metric.MARKETS_SUPPORTED, 100),
        (operator_org, Pledge.Metric.SETTLEMENT_CYCLES, 10),
        (operator_org, Pledge.Metric.FAST_PAYOUTS, 1_000),
        (other_org, Pledge.Metric.MERCHANTS_CREDITED, 5_000),
        (other_org, Pledge.Metric.REPORTED, 300),
        (ministry, Pledge.Metric.REPORTED, 1),
    ):
        pledges.pledge_create(
            organisation=organisation, text=f"{organisation.name} 약속 {metric}",
            metric=metric, target=target, deadline=program.ends_on,
            program=program if organisation == operator_org and metric !=
            Pledge.Metric.FAST_PAYOUTS else None,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _step("pledges", started)
    counts = {
        status: Application.objects.filter(program=program, status=status).count()
        for status in Application.Status.values
    }
    print(
        f"seeded in {time.perf_counter() - begun:.1f} s: {Market.objects.count()} markets, "
        f"{Store.objects.count()} stores, {Enrolment.objects.filter(program=program).count()} "
        f"enrolments, applications {counts}, {Grant.objects.count()} grants, "
        f"{Pledge.objects.count()} pledges"
    )
    return {"program": program.pk, "operator": operator.pk, "auditor": auditor.pk,
            "markets": Market.objects.count(), "stores": Store.objects.count()}


def timed_get(client: Any, path: str, check: Callable[[Any], bool] | None = None
              ) -> tuple[float, int, int, float]:
    """GET `path` once to warm up, then ROUNDS times; return (median ms, queries, bytes,
    median ms spent in the database)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"  # noqa: S101
    if check is not None:
        assert check(response), f"{path}: unexpected content"  # noqa: S101
    times, db_times, queries = [], [], 0
    for _round in range(ROUNDS):
        with CaptureQueriesContext(connection) as captured:
            begun = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - begun) * 1000)
        assert response.status_code == 200, f"{path} answered {response.status_code}"  # noqa: S101
        queries = max(queries, len(captured))
        db_times.append(sum(float(query["time"]) for query in captured) * 1000)
    return (statistics.median(times), queries, len(response.content),
            statistics.median(db_times))


def measure(ids: dict[str, Any]) -> int:
    from django.conf import settings
    from django.test import Client

    from dangol.accounts.models import User

    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    program = ids["program"]
    operator = Client()
    operator.force_login(User.objects.get(pk=ids["operator"]))
    auditor = Client()
    auditor.force_login(User.objects.get(pk=ids["auditor"]))

    pages: list[tuple[str, Any, str, Callable[[Any], bool] | None]] = [
        ("healthz", operator, "/healthz", None),
        ("list", operator, "/console/programs/", lambda r: "전국 상생 사업" in r.text),
        ("detail", operator, f"/console/programs/{program}/",
         lambda r: "전국 상생 사업" in r.text),
        ("pledges", auditor, "/console/programs/pledges/", lambda r: "상생플랫폼" in r.text),
        ("export", operator, f"/console/programs/{program}/applications.xlsx",
         lambda r: r.content[:2] == b"PK"),
    ]
    results: dict[str, tuple[float, int, int, float]] = {}
    for name, client, path, check in pages:
        results[name] = timed_get(client, path, check)
    profiled = os.environ.get("BENCH_PROFILE")
    for name, client, path, _check in pages:
        if name == profiled:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(client.get, path)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    trivial = results["healthz"][0]
    print(f"{'page':8} {'path':44} {'median_ms':>10} {'db_ms':>8} {'queries':>8} "
          f"{'bytes':>9} {'x healthz':>10}")
    for name, _client, path, _check in pages:
        ms, queries, size, db_ms = results[name]
        print(f"{name:8} {path:44} {ms:10.1f} {db_ms:8.1f} {queries:8d} {size:9d} "
              f"{ms / trivial:10.1f}")
    max_queries = max(results[name][1] for name in ("list", "detail", "pledges", "export"))
    print(
        f"BENCH console markets={ids['markets']} stores={ids['stores']} "
        f"list_ms={results['list'][0]:.1f} detail_ms={results['detail'][0]:.1f} "
        f"pledges_ms={results['pledges'][0]:.1f} export_ms={results['export'][0]:.1f} "
        f"healthz_ms={trivial:.2f} max_queries={max_queries}"
    )
    return 0


def run(*, database_url: str, var_dir: str, args: argparse.Namespace) -> int:
    # Before django.setup(): settings read these once.
    os.environ["DANGOL_VAR_DIR"] = var_dir
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "dangol.config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    # Production settings (DEBUG off) serve hashed static names from the manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"database: {connection.vendor}")
    ids = seed(data=args.data, stores=args.stores, applications=args.applications)
    return measure(ids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=100_000)
    parser.add_argument("--applications", type=int, default=5_000)
    parser.add_argument("--postgres", action="store_true",
                        help="a scratch PostgreSQL database beside DATABASE_URL's")
    parser.add_argument("--data", type=Path, default=Path(
        os.environ.get("DANGOL_SHARED_DATA") or REPO.parent / "shared" / "data"))
    args = parser.parse_args()
    for name in (REGIONS_FILE, MARKETS_FILE):
        if not (args.data / name).exists():
            print(f"missing data file: {args.data / name}", file=sys.stderr)
            return 2
    # Python puts this script's folder first on the path, where bench/http.py would shadow
    # the standard library's `http` that Django imports; scratch_db is imported after.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [entry for entry in sys.path if str(Path(entry or ".").resolve()) != here]
    sys.path.insert(0, str(REPO / "src"))
    sys.path.append(here)

    with tempfile.TemporaryDirectory(prefix="dangol-bench-") as var_dir:
        if not args.postgres:
            url = f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}"
            return run(database_url=url, var_dir=var_dir, args=args)
        from scratch_db import DEFAULT_URL, scratch_database

        base = os.environ.get("DATABASE_URL") or DEFAULT_URL
        with scratch_database(base, SCRATCH_NAME) as url:
            return run(database_url=url, var_dir=var_dir, args=args)


if __name__ == "__main__":
    sys.exit(main())
