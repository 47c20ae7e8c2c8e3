"""Coupon redemptions at the counter: dangol's `coupon_redeem` against raw SQL, PostgreSQL.

    .venv/bin/python bench/coupon_redeem.py [--seconds 10] [--rounds 4] [--threads 8]

Creates a scratch database `dangol_bench_coupons` beside the one in DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/test), migrates it, and seeds one store with many
distinct issued coupons. Then, alternating the two in `--rounds` rounds that add up to
`--seconds` each, runs `--threads` concurrent clients that

- call dangol's `coupon_redeem` service by 6-digit code (lookup, row lock, every check,
  discount, update: one transaction per redemption), each on its own coupons;
- run raw SQL on another set of coupons: `UPDATE … SET status='redeemed', redeemed_at=now()
  WHERE id=%s`, one transaction per redemption, without any checks.

Each thread has its own database connection. The scratch database is dropped at the end.
The last line is `BENCH coupon_redeem dangol_per_s=<x> raw_per_s=<y> ratio=<x/y>`.
"""

import argparse
import datetime as dt
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRATCH_DB = "dangol_bench_coupons"

# Python puts this script's folder first on the path, where bench/http.py would shadow the
# standard library's `http` that Django imports.
_here = str(Path(__file__).resolve().parent)
sys.path[:] = [entry for entry in sys.path if str(Path(entry or ".").resolve()) != _here]
sys.path.insert(0, str(REPO / "src"))
sys.path.append(_here)  # after the standard library: our helpers, never `http`

from scratch_db import DEFAULT_URL, scratch_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="time per side")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pool", type=int, default=200_000, help="coupons per side")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not base_url.startswith(("postgres://", "postgresql://")):
        print("coupon_redeem needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    with scratch_database(base_url, SCRATCH_DB) as url:
        return _run(args, url)


def _run(args: argparse.Namespace, url: str) -> int:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "dangol.config.settings"
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from dangol.accounts.models import User
    from dangol.core import clock
    from dangol.coupons import services
    from dangol.coupons.models import Coupon, CouponTemplate
    from dangol.places.models import Region, Store

    call_command("migrate", verbosity=0)

    # --- seed: one store, one template, 2 × pool issued coupons with distinct codes ---------
    sido = Region.objects.create(code="26", level="sido", name="부산광역시", full_name="부산광역시")
    gu = Region.objects.create(
        code="26350", level="sigungu", name="해운대구", full_name="부산광역시 해운대구",
        parent=sido,
    )
    store = Store.objects.create(name="반송 수산", category="seafood", region=gu)
    staff = User.objects.create_user(email="staff@example.kr", name="직원")
    customer = User.objects.create_user(phone="+821012345678", name="단골")
    now = clock.now()
    template = services.coupon_template_create(
        store=store, name="1,000원 할인", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=1000,
        valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=30),
        minimum_purchase=5000,
    )
    pool = args.pool
    if 2 * pool > 1_000_000:
        print("--pool must be at most 500000 (6-digit codes)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Coupon._meta.db_table} (template_id, store_id, customer_id, status,"  # noqa: S608
            " source, code, token, issued_at, redeem_key, created_at, updated_at)"
            " SELECT %s, %s, %s, 'issued', 'issue', lpad(i::text, 6, '0'),"
            " md5(i::text) || i::text, now(), '', now(), now()"
            " FROM generate_series(0, %s) AS i",
            [template.pk, store.pk, customer.pk, 2 * pool - 1],
        )
        cursor.execute(f"ANALYZE {Coupon._meta.db_table}")
    print(f"seeded {2 * pool} issued coupons in {time.perf_counter() - started:.1f} s")

    # Dangol redeems codes [0, pool), raw SQL the rows with codes [pool, 2·pool).
    dangol_codes = [f"{i:06d}" for i in range(pool)]
    raw_ids = list(
        Coupon.objects.filter(code__gte=f"{pool:06d}").order_by("code").values_list("pk", flat=True)
    )
    threads = args.threads

    def dangol_work(items: list[str], index: int, deadline: float) -> int:
        done = 0
        for code in items[index::threads]:
            if time.perf_counter() >= deadline:
                break
            services.coupon_redeem(store=store, staff=staff, code=code, purchase_amount=12_000)
            done += 1
        return done

    table = Coupon._meta.db_table
    raw_sql = (
        f"UPDATE {table} SET status = 'redeemed', redeemed_at = now() WHERE id = %s"  # noqa: S608
    )

    def raw_work(items: list[int], index: int, deadline: float) -> int:
        done = 0
        for pk in items[index::threads]:
            if time.perf_counter() >= deadline:
                break
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(raw_sql, [pk])
            done += 1
        return done

    def phase(work, items: list, seconds: float) -> tuple[list[int], float]:  # type: ignore[no-untyped-def]
        counts = [0] * threads
        barrier = threading.Barrier(threads + 1)
        deadline_box: list[float] = []

        def worker(index: int) -> None:
            try:
                connection.ensure_connection()
                barrier.wait()
                counts[index] = work(items, index, deadline_box[0])
            finally:
                connection.close()

        pool_threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in pool_threads:
            thread.start()
        deadline_box.append(time.perf_counter() + seconds)
        start = time.perf_counter()
        barrier.wait()
        for thread in pool_threads:
            thread.join()
        return counts, time.perf_counter() - start

    per_round = args.seconds / args.rounds
    totals = {"dangol": [0, 0.0], "raw": [0, 0.0]}
    offsets = {"dangol": 0, "raw": 0}
    for round_no in range(1, args.rounds + 1):
        for name, work, items in (
            ("dangol", dangol_work, dangol_codes), ("raw", raw_work, raw_ids)
        ):
            remaining = items[offsets[name]:]
            counts, seconds = phase(work, remaining, per_round)
            done = sum(counts)
            # Thread i takes items i, i + threads, …: skip the stretch the busiest one reached.
            offsets[name] += max(counts) * threads
            totals[name][0] += done
            totals[name][1] += seconds
            print(f"round {round_no} {name:6}: {done:6d} redemptions in {seconds:.2f} s "
                  f"= {done / seconds:8.1f}/s")

    redeemed = Coupon.objects.filter(status=Coupon.Status.REDEEMED).count()
    expected = int(totals["dangol"][0]) + int(totals["raw"][0])
    if redeemed != expected:
        print(f"MISMATCH: {redeemed} rows redeemed, {expected} counted", file=sys.stderr)
        return 1
    dangol_rate = totals["dangol"][0] / totals["dangol"][1]
    raw_rate = totals["raw"][0] / totals["raw"][1]
    print(f"dangol coupon_redeem: {int(totals['dangol'][0])} in {totals['dangol'][1]:.2f} s "
          f"({threads} threads)")
    print(f"raw UPDATE:           {int(totals['raw'][0])} in {totals['raw'][1]:.2f} s "
          f"({threads} threads)")
    print(f"BENCH coupon_redeem dangol_per_s={dangol_rate:.1f} raw_per_s={raw_rate:.1f} "
          f"ratio={dangol_rate / raw_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
