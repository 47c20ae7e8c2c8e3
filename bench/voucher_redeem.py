"""Voucher redemptions: dangol's `voucher_redeem` against raw SQL and django-hordak, PostgreSQL.

    .venv/bin/python bench/voucher_redeem.py [--seconds 10] [--rounds 4] [--threads 8]
        [--scratch-db dangol_bench_vouchers]

Creates a scratch database (`--scratch-db`, default `dangol_bench_vouchers`) beside the one
in DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), migrates it (dangol's
apps plus `hordak`, `mptt` and `djmoney`, added by a bench-local settings module that
extends dangol.config.settings),
and seeds one store per thread with a ₩5,000,000 voucher product (3% platform fee) and
vouchers bought through `voucher_purchase` (sandbox card). Then, alternating the three in
`--rounds` rounds that add up to `--seconds` each, runs `--threads` concurrent clients, each
redeeming ₩1,000 at a time from its own vouchers at its own store:

- **dangol**: `voucher_redeem(voucher=…, store=…, amount=1000, staff=…, idempotency_key=…)`:
  voucher row lock, idempotency lookup, every check, fee, fingerprint, the ledger transaction,
  its 3 entries, voucher balance mirror, redemption row, then the account locks (primary-key
  order) and balances (on PostgreSQL its fast path: three prepared statements in one
  transaction; the ORM path with `ledger_post` answers refusals and retries);
- **raw**: on other vouchers' ledger accounts, one transaction per redemption of
  `INSERT INTO ledger_transaction … RETURNING id`, one `INSERT` of the same 3 `ledger_entry`
  rows (liability −1,000, store payable +970, fee revenue +30) and one `UPDATE` of the 3
  account balances, without locks or checks;
- **hordak**: django-hordak posting the same 3-leg transfer (debit the voucher's liability
  account 1,000, credit the store's payable 970 and the fee revenue 30) with
  `Transaction.objects.create` and `Leg.objects.create`, in one `transaction.atomic()`.

The platform fee revenue account is shared by all threads on every side (one per platform),
so its row lock is the one point of contention for dangol and raw; hordak keeps no stored
balances. Each thread has its own database connection. After the run the bench checks the
row counts and `ledger_verify()`, then drops the scratch database. The last line is
`BENCH voucher_redeem dangol_per_s=<x> raw_per_s=<y> hordak_per_s=<z> ratio_raw=<x/y>
ratio_hordak=<x/z>`.
"""

import argparse
import itertools
import os
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SCRATCH_DB = "dangol_bench_vouchers"
AMOUNT = 1_000
FEE_BP = 300
FACE_VALUE = 5_000_000

# Python puts this script's folder first on the path, where bench/http.py would shadow the
# standard library's `http` that Django imports.
_here = str(Path(__file__).resolve().parent)
sys.path[:] = [entry for entry in sys.path if str(Path(entry or ".").resolve()) != _here]
sys.path.insert(0, str(REPO / "src"))
sys.path.append(_here)  # after the standard library: our helpers, never `http`

from scratch_db import DEFAULT_URL, scratch_database  # noqa: E402

HORDAK_MISSING = ""
try:
    import hordak  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    HORDAK_MISSING = f"django-hordak is not installed ({error}); pip install django-hordak"


def _bench_settings() -> str:
    """Register an in-memory settings module: dangol's settings plus hordak; return its name."""
    name = "voucher_redeem_bench_settings"
    module = types.ModuleType(name)
    exec("from dangol.config.settings import *", module.__dict__)  # noqa: S102
    if not HORDAK_MISSING:
        module.INSTALLED_APPS = [*module.INSTALLED_APPS, "mptt", "djmoney", "hordak"]
        module.DEFAULT_CURRENCY = "KRW"
        module.CURRENCIES = ["KRW"]
        module.HORDAK_INTERNAL_CURRENCY = "KRW"
    sys.modules[name] = module
    return name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="time per side")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--vouchers", type=int, default=8, help="vouchers per thread per side")
    parser.add_argument(
        "--scratch-db", default=SCRATCH_DB,
        help="name of the scratch database (dropped at the end; give each concurrent run its own)",
    )
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not base_url.startswith(("postgres://", "postgresql://")):
        print("voucher_redeem needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    with scratch_database(base_url, args.scratch_db) as url:
        return _run(args, url)


def _run(args: argparse.Namespace, url: str) -> int:  # noqa: C901, PLR0915
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    os.environ["DJANGO_SETTINGS_MODULE"] = _bench_settings()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from dangol.accounts.models import User
    from dangol.ledger import catalogue
    from dangol.ledger.models import Account, Entry
    from dangol.ledger.models import Transaction as LedgerTransaction
    from dangol.ledger.selectors import ledger_verify
    from dangol.payments.providers.sandbox import CARD_APPROVE
    from dangol.places.models import Region, Store
    from dangol.vouchers import services
    from dangol.vouchers.models import Redemption
    from dangol.vouchers.selectors import voucher_account

    call_command("migrate", verbosity=0)
    threads, per_thread = args.threads, args.vouchers

    # --- seed: one store and product per thread, vouchers bought through the service --------
    started = time.perf_counter()
    sido = Region.objects.create(code="26", level="sido", name="부산광역시", full_name="부산광역시")
    gu = Region.objects.create(
        code="26350", level="sigungu", name="해운대구", full_name="부산광역시 해운대구",
        parent=sido,
    )
    staff = User.objects.create_user(email="staff@example.kr", name="직원")
    buyer = User.objects.create_user(phone="+821012345678", name="단골")
    keys = itertools.count(1)
    stores, dangol_vouchers, raw_accounts = [], [], []
    for index in range(threads):
        store = Store.objects.create(name=f"반송 수산 {index + 1}", category="seafood", region=gu)
        product = services.voucher_product_create(
            store=store, name="5백만원권", face_value=FACE_VALUE, sale_price=FACE_VALUE,
            fee_bp=FEE_BP,
        )
        bought = [
            services.voucher_purchase(
                product=product, buyer=buyer, card_number=CARD_APPROVE,
                idempotency_key=f"bench-buy-{next(keys)}",
            )
            for _ in range(2 * per_thread)
        ]
        stores.append(store)
        dangol_vouchers.append(bought[:per_thread])
        raw_accounts.append([voucher_account(voucher=v).pk for v in bought[per_thread:]])
    payable_ids = [
        catalogue.store_payable_account(store_id=store.pk, store_name=store.name).pk
        for store in stores
    ]
    # Fees go to each store's own fee revenue account, as voucher_redeem posts them.
    revenue_ids = [
        catalogue.store_fee_revenue_account(store_id=store.pk, store_name=store.name).pk
        for store in stores
    ]
    seeded = 2 * per_thread * threads
    print(f"seeded {threads} stores and {seeded} vouchers of {FACE_VALUE:,} won "
          f"in {time.perf_counter() - started:.1f} s")
    fee = AMOUNT * FEE_BP // 10_000
    redeem_keys = itertools.count(1)

    def dangol_work(index: int, deadline: float) -> int:
        store, mine = stores[index], dangol_vouchers[index]
        done = 0
        while time.perf_counter() < deadline:
            services.voucher_redeem(
                voucher=mine[done % per_thread], store=store, amount=AMOUNT, staff=staff,
                idempotency_key=f"bench-redeem-{next(redeem_keys)}",
            )
            done += 1
        return done

    insert_transaction = (
        f"INSERT INTO {LedgerTransaction._meta.db_table}"  # noqa: S608
        " (idempotency_key, kind, description, fingerprint, metadata, created_at)"
        " VALUES (%s, 'voucher_redeem', %s, '', %s, now()) RETURNING id"
    )
    insert_entries = (
        f"INSERT INTO {Entry._meta.db_table} (transaction_id, account_id, amount)"  # noqa: S608
        " VALUES (%s, %s, %s), (%s, %s, %s), (%s, %s, %s)"
    )
    update_balances = (
        f"UPDATE {Account._meta.db_table} AS a SET balance = a.balance + v.delta,"  # noqa: S608
        " updated_at = now() FROM (VALUES (%s::bigint, %s::bigint), (%s, %s), (%s, %s))"
        " AS v(id, delta) WHERE a.id = v.id"
    )

    def raw_work(index: int, deadline: float) -> int:
        mine, payable, name = raw_accounts[index], payable_ids[index], stores[index].name
        revenue_id = revenue_ids[index]
        done = 0
        while time.perf_counter() < deadline:
            liability = mine[done % per_thread]
            legs = (liability, -AMOUNT, payable, AMOUNT - fee, revenue_id, fee)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    insert_transaction, [f"raw-redeem-{next(redeem_keys)}", name, "{}"]
                )
                posted = cursor.fetchone()[0]
                cursor.execute(
                    insert_entries,
                    [posted, legs[0], legs[1], posted, legs[2], legs[3], posted, legs[4], legs[5]],
                )
                cursor.execute(update_balances, list(legs))
            done += 1
        return done

    sides: list[tuple[str, Callable[[int, float], int]]] = [
        ("dangol", dangol_work), ("raw", raw_work),
    ]
    hordak_legs = 0
    if not HORDAK_MISSING:
        from djmoney.money import Money
        from hordak.models import Account as HordakAccount
        from hordak.models import Leg
        from hordak.models import Transaction as HordakTransaction

        def hordak_account(name: str, kind: str) -> Any:
            return HordakAccount.objects.create(name=name, type=kind, currencies=["KRW"])

        h_revenues = [
            hordak_account(f"플랫폼 수수료 수익 ({store.name})", HordakAccount.TYPES.income)
            for store in stores
        ]
        h_payables = [
            hordak_account(f"{store.name} 정산 예정액", HordakAccount.TYPES.liability)
            for store in stores
        ]
        h_liabilities = [
            [
                hordak_account(f"상품권 {index}-{n}", HordakAccount.TYPES.liability)
                for n in range(per_thread)
            ]
            for index in range(threads)
        ]
        # Fund each voucher liability account as a purchase would (cash → liability).
        h_cash = hordak_account("결제 대행 정산 대기", HordakAccount.TYPES.asset)
        for accounts in h_liabilities:
            for account in accounts:
                account.transfer_to(h_cash, Money(FACE_VALUE, "KRW"), description="구매")
        hordak_legs = Leg.objects.count()
        amount_m, net_m, fee_m = (
            Money(AMOUNT, "KRW"), Money(AMOUNT - fee, "KRW"), Money(fee, "KRW"),
        )

        def hordak_work(index: int, deadline: float) -> int:
            mine, payable, name = h_liabilities[index], h_payables[index], stores[index].name
            done = 0
            while time.perf_counter() < deadline:
                with transaction.atomic():
                    posted = HordakTransaction.objects.create(description=name)
                    Leg.objects.create(
                        transaction=posted, account=mine[done % per_thread], debit=amount_m
                    )
                    Leg.objects.create(transaction=posted, account=payable, credit=net_m)
                    Leg.objects.create(
                        transaction=posted, account=h_revenues[index], credit=fee_m
                    )
                done += 1
            return done

        sides.append(("hordak", hordak_work))

    def phase(work: Callable[[int, float], int], seconds: float) -> tuple[int, float]:
        counts = [0] * threads
        errors: list[BaseException] = []
        barrier = threading.Barrier(threads + 1)
        deadline_box: list[float] = []

        def worker(index: int) -> None:
            try:
                connection.ensure_connection()
                barrier.wait()
                counts[index] = work(index, deadline_box[0])
            except BaseException as error:  # noqa: BLE001 - reported after the phase
                errors.append(error)
            finally:
                connection.close()

        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        deadline_box.append(time.perf_counter() + seconds)
        start = time.perf_counter()
        barrier.wait()
        for thread in pool:
            thread.join()
        if errors:
            raise errors[0]
        return sum(counts), time.perf_counter() - start

    per_round = args.seconds / args.rounds
    totals = {name: [0, 0.0] for name, _work in sides}
    for round_no in range(1, args.rounds + 1):
        order = sides if round_no % 2 else list(reversed(sides))
        for name, work in order:
            done, seconds = phase(work, per_round)
            totals[name][0] += done
            totals[name][1] += seconds
            print(f"round {round_no} {name:6}: {done:6d} redemptions in {seconds:.2f} s "
                  f"= {done / seconds:8.1f}/s")

    # --- checks -----------------------------------------------------------------------------
    dangol_done, raw_done = int(totals["dangol"][0]), int(totals["raw"][0])
    problems = []
    if Redemption.objects.count() != dangol_done:
        problems.append(f"{Redemption.objects.count()} redemptions, {dangol_done} counted")
    posted = LedgerTransaction.objects.filter(kind="voucher_redeem").count()
    if posted != dangol_done + raw_done:
        problems.append(f"{posted} redemption transactions, {dangol_done + raw_done} counted")
    report = ledger_verify()
    if not report.ok:
        problems.append(f"ledger verify failed: {report}")
    if not HORDAK_MISSING:
        hordak_done = int(totals["hordak"][0])
        legs = Leg.objects.count() - hordak_legs
        if legs != 3 * hordak_done:
            problems.append(f"{legs} hordak legs, {3 * hordak_done} expected")
    if problems:
        for problem in problems:
            print(f"MISMATCH: {problem}", file=sys.stderr)
        return 1
    print(f"ledger verify: ok ({report.transactions} transactions)")

    def rate(name: str) -> float:
        if name not in totals:
            return float("nan")
        return totals[name][0] / totals[name][1]

    dangol_rate, raw_rate, hordak_rate = rate("dangol"), rate("raw"), rate("hordak")
    for name, label in (("dangol", "dangol voucher_redeem"), ("raw", "raw SQL"),
                        ("hordak", "django-hordak")):
        if name in totals:
            print(f"{label + ':':22} {int(totals[name][0])} in {totals[name][1]:.2f} s "
                  f"({threads} threads)")
    if HORDAK_MISSING:
        print(f"hordak: not run: {HORDAK_MISSING}")
    print(f"BENCH voucher_redeem dangol_per_s={dangol_rate:.1f} raw_per_s={raw_rate:.1f} "
          f"hordak_per_s={hordak_rate:.1f} ratio_raw={dangol_rate / raw_rate:.2f} "
          f"ratio_hordak={dangol_rate / hordak_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
