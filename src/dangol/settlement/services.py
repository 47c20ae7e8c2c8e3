"""Writes of settlement: policies, store accounts and settlement runs.

A run pays stores in batches. Each batch is one database transaction that locks the run,
then the batch's `store_payable` accounts together with the two platform accounts in
primary-key order (the order every ledger posting locks in), computes what each store is
owed from the locked balances and one GROUP BY over later entries, and writes the payout
plan to a temporary table; set-based `INSERT … SELECT` statements then post one balanced
ledger transaction per store (with the idempotency key `payout:<run>:<store>` and the
fingerprint `ledger_post` would give it), its entries, the Payout and Statement rows, and
one UPDATE adds every delta to the stored balances. So the ledger invariants of
DESIGN.md §5 hold as if each payout had gone through `ledger_post`, at the cost of a few
statements per batch instead of a dozen per store.

A run that dies between batches is resumed by running it again: stores that already have a
payout in the run are skipped, and the unique constraints on (run, store) and on the
ledger idempotency key make a double payment impossible.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q, Sum

from dangol.core import clock
from dangol.ledger import services as ledger_services
from dangol.ledger.models import Account, Entry, Transaction
from dangol.places.models import Store
from dangol.settlement import cycles
from dangol.settlement.errors import CutoffInFuture, InvalidPolicy, PayableShort
from dangol.settlement.models import (
    BASIS_POINTS,
    Payout,
    SettlementPolicy,
    SettlementRun,
    Statement,
    StoreSettlementAccount,
)

PAYOUT_KIND = "settlement_payout"
STORE_OWNER = "store"

# Test seam: called with each store id after the batch that paid it has committed, so a
# test can stop a run between stores the way a crash would.
after_store: Callable[[int], None] | None = None


def fee_for(*, amount: int, fee_bp: int) -> int:
    """Return the fee of `fee_bp` basis points on `amount` won, rounded down to the won."""
    return amount * fee_bp // BASIS_POINTS


def settlement_policy_create(
    *,
    name: str,
    cycles_per_month: int | None = None,
    cycle_days: Iterable[int] = (),
    cutoff_time: dt.time = dt.time(23, 59),
    payout_lag_days: int = 1,
    fee_bp: int = 0,
) -> SettlementPolicy:
    """Create a policy; raise InvalidPolicy unless it has 4 or 10 cycles or valid days."""
    days = sorted({int(day) for day in cycle_days})
    if cycles_per_month is None and not days:
        raise InvalidPolicy(reason="cycles")
    if cycles_per_month is not None and cycles_per_month not in SettlementPolicy.Cycles.values:
        raise InvalidPolicy(reason="cycles_per_month")
    if any(day < 1 or day > 31 for day in days):
        raise InvalidPolicy(reason="cycle_days")
    if not 0 <= fee_bp <= BASIS_POINTS or payout_lag_days < 0:
        raise InvalidPolicy(reason="fee_bp")
    return SettlementPolicy.objects.create(
        name=name, cycles_per_month=cycles_per_month, cycle_days=days,
        cutoff_time=cutoff_time, payout_lag_days=payout_lag_days, fee_bp=fee_bp,
    )


def store_settlement_account_set(
    *,
    store: Store,
    policy: SettlementPolicy,
    bank_name: str,
    account_number: str,
    fast_settlement_eligible: bool = False,
    fast_share_bp: int = 9000,
    fast_fee_bp: int = 0,
) -> StoreSettlementAccount:
    """Put `store` on `policy` and record where it is paid (creating or replacing)."""
    account, _created = StoreSettlementAccount.objects.update_or_create(
        store=store,
        defaults={
            "policy": policy,
            "bank_name": bank_name,
            "account_number": account_number,
            "fast_settlement_eligible": fast_settlement_eligible,
            "fast_share_bp": fast_share_bp,
            "fast_fee_bp": fast_fee_bp,
        },
    )
    return account


def platform_accounts() -> tuple[Account, Account]:
    """Return the platform's payout clearing and fee revenue accounts, opening them."""
    clearing = ledger_services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.PAYOUT_CLEARING, non_negative=False,
        name="지급 대기",
    )
    revenue = ledger_services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.PLATFORM_FEE_REVENUE,
        non_negative=False, name="플랫폼 수수료 수익",
    )
    return clearing, revenue


def settlement_run(
    *, policy: SettlementPolicy, cutoff: dt.datetime, batch_size: int = 5000
) -> SettlementRun:
    """Pay every store on `policy` what its payable account held at `cutoff`; return the run.

    Idempotent by (policy, cutoff): a completed run is returned as is, an interrupted one
    is resumed and ends with exactly the payouts an uninterrupted run makes. Raise
    CutoffInFuture if `cutoff` (aware) has not passed yet, since postings up to it could
    still arrive, and PayableShort if a non-negative payable holds less than it is owed.
    """
    if cutoff.tzinfo is None:
        raise ValueError("cutoff must be an aware datetime")
    if cutoff > clock.now():
        raise CutoffInFuture(cutoff=cutoff.astimezone(clock.KST).isoformat())
    run, _created = SettlementRun.objects.get_or_create(
        policy=policy, cutoff=cutoff,
        defaults={"payout_date": cycles.payout_date(policy, cutoff)},
    )
    if run.status == SettlementRun.Status.COMPLETED:
        return run
    clearing, revenue = platform_accounts()
    payable_ids = list(_unpaid_payables(run=run).values_list("pk", flat=True))
    for start in range(0, len(payable_ids), batch_size):
        batch = payable_ids[start : start + batch_size]
        store_ids = _batch_pay(
            run=run, first=batch[0], last=batch[-1], clearing=clearing, revenue=revenue
        )
        if after_store is not None:
            for store_id in store_ids:
                after_store(store_id)
    run.status = SettlementRun.Status.COMPLETED
    run.completed_at = clock.now()
    run.save(update_fields=["status", "completed_at", "updated_at"])
    return run


def _unpaid_payables(*, run: SettlementRun) -> "models.QuerySet[Account]":
    """Return the payable accounts of the stores on the run's policy not yet paid by it."""
    return (
        Account.objects.filter(
            owner_type=STORE_OWNER,
            kind=Account.Kind.STORE_PAYABLE,
            owner_id__in=StoreSettlementAccount.objects.filter(policy_id=run.policy_id).values(
                "store_id"
            ),
        )
        .exclude(owner_id__in=Payout.objects.filter(run=run).values("store_id"))
        .order_by("pk")
    )


def _later_movements(*, first: int, last: int, cutoff: dt.datetime) -> dict[int, int]:
    """Return, per account with id in [first, last], the sum of its entries posted after
    `cutoff` other than payouts (one GROUP BY). A stored balance minus this is the balance
    at the cut-off less every payout already made, since a balance is the sum of all
    entries; it reads only the entries after the cut-off, not the whole history."""
    rows = (
        Entry.objects.filter(
            account_id__gte=first, account_id__lte=last, transaction__created_at__gt=cutoff
        )
        .exclude(transaction__kind=PAYOUT_KIND)
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    return dict(rows)


PLAN_TABLE = "settlement_payout_plan"


def _plan_load(cursor: Any, rows: list[tuple[int, int, int, int, str, str]]) -> None:
    """Fill this connection's temporary plan table with (store, account, amount, fee, key,
    fingerprint) rows."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {PLAN_TABLE} ("
        "store_id BIGINT NOT NULL, account_id BIGINT NOT NULL, amount BIGINT NOT NULL, "
        "fee BIGINT NOT NULL, idempotency_key VARCHAR(200) NOT NULL, "
        "fingerprint VARCHAR(64) NOT NULL)"
    )
    cursor.execute(f"DELETE FROM {PLAN_TABLE}")  # noqa: S608
    if connection.vendor == "postgresql":
        # COPY streams the rows without building one large SQL literal.
        with cursor.cursor.copy(f"COPY {PLAN_TABLE} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(
            f"INSERT INTO {PLAN_TABLE} VALUES (%s, %s, %s, %s, %s, %s)", rows  # noqa: S608
        )


@transaction.atomic
def _batch_pay(
    *, run: SettlementRun, first: int, last: int, clearing: Account, revenue: Account
) -> list[int]:
    """Pay the unpaid stores whose payable account id is in [first, last], in one database
    transaction; return the ids of the stores it paid."""
    SettlementRun.objects.select_for_update().filter(pk=run.pk).first()
    platform = {clearing.pk, revenue.pk}
    locked = list(
        Account.objects.select_for_update(no_key=True)
        .filter(
            Q(pk__in=_unpaid_payables(run=run).filter(pk__gte=first, pk__lte=last).values("pk"))
            | Q(pk__in=platform)
        )
        .order_by("pk")
        .values_list("pk", "owner_id", "balance", "non_negative")
    )
    later = _later_movements(first=first, last=last, cutoff=run.cutoff)
    fee_bp = run.policy.fee_bp
    plan: list[tuple[int, int, int, int, str, str]] = []
    for pk, store_id, balance, non_negative in locked:
        amount = balance - later.get(pk, 0)
        if pk in platform or store_id is None or amount <= 0:
            continue
        if non_negative and balance < amount:
            raise PayableShort(store=store_id)
        fee = fee_for(amount=amount, fee_bp=fee_bp)
        legs = [(pk, -amount)]
        if amount > fee:
            legs.append((clearing.pk, amount - fee))
        if fee:
            legs.append((revenue.pk, fee))
        key = f"payout:{run.pk}:{store_id}"
        fingerprint = ledger_services.transaction_fingerprint(PAYOUT_KIND, legs, None)
        plan.append((store_id, pk, amount, fee, key, fingerprint))
    if plan:
        _plan_post(run=run, plan=plan, clearing=clearing, revenue=revenue)
    return [store_id for store_id, *_rest in plan]


def _plan_post(
    *,
    run: SettlementRun,
    plan: list[tuple[int, int, int, int, str, str]],
    clearing: Account,
    revenue: Account,
) -> None:
    """Write the plan: transactions, entries, balances, payouts and statements, set-based.

    Call inside the batch's transaction with the plan's accounts locked.
    """
    ops = connection.ops
    now = ops.adapt_datetimefield_value(clock.now())
    plan_join = (
        f"FROM {PLAN_TABLE} p JOIN {Transaction._meta.db_table} t "
        "ON t.idempotency_key = p.idempotency_key"
    )
    with connection.cursor() as cursor:
        _plan_load(cursor, plan)
        cursor.execute(
            f"INSERT INTO {Transaction._meta.db_table} "  # noqa: S608
            "(idempotency_key, kind, description, fingerprint, metadata, created_at) "
            f"SELECT p.idempotency_key, %s, %s, p.fingerprint, %s, %s FROM {PLAN_TABLE} p",
            [PAYOUT_KIND, "정산 지급", json.dumps({"run": run.pk}), now],
        )
        # One pass over the plan joined to its transactions, fanned out to the three legs.
        cursor.execute(
            f"INSERT INTO {Entry._meta.db_table} (transaction_id, account_id, amount) "  # noqa: S608
            "SELECT t.id, CASE leg.n WHEN 1 THEN p.account_id WHEN 2 THEN %s ELSE %s END, "
            "CASE leg.n WHEN 1 THEN -p.amount WHEN 2 THEN p.amount - p.fee ELSE p.fee END "
            f"{plan_join} CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) leg "
            "WHERE leg.n = 1 OR (leg.n = 2 AND p.amount > p.fee) OR (leg.n = 3 AND p.fee > 0) "
            "ORDER BY t.id, leg.n",
            [clearing.pk, revenue.pk],
        )
        account_table = Account._meta.db_table
        cursor.execute(
            "WITH delta (account_id, amount) AS ("  # noqa: S608
            f"SELECT account_id, -amount FROM {PLAN_TABLE} "
            f"UNION ALL SELECT %s, SUM(amount - fee) FROM {PLAN_TABLE} "
            f"UNION ALL SELECT %s, SUM(fee) FROM {PLAN_TABLE}) "
            f"UPDATE {account_table} SET balance = {account_table}.balance + d.amount, "
            "updated_at = %s FROM (SELECT account_id, SUM(amount) AS amount FROM delta "
            f"GROUP BY account_id) d WHERE {account_table}.id = d.account_id",
            [clearing.pk, revenue.pk, now],
        )
        cursor.execute(
            f"INSERT INTO {Payout._meta.db_table} (run_id, store_id, amount, fee, net, "  # noqa: S608
            "bank_name, account_number, transaction_id, created_at, updated_at) "
            "SELECT %s, p.store_id, p.amount, p.fee, p.amount - p.fee, s.bank_name, "
            f"s.account_number, t.id, %s, %s {plan_join} "
            f"JOIN {StoreSettlementAccount._meta.db_table} s ON s.store_id = p.store_id",
            [run.pk, now, now],
        )
        cursor.execute(
            f"INSERT INTO {Statement._meta.db_table} (payout_id, store_id, period_end, "  # noqa: S608
            "payout_date, number, created_at, updated_at) "
            "SELECT o.id, o.store_id, %s, %s, 'ST-' || o.run_id || '-' || o.store_id, %s, %s "
            f"FROM {Payout._meta.db_table} o JOIN {PLAN_TABLE} p ON p.store_id = o.store_id "
            "WHERE o.run_id = %s",
            [
                ops.adapt_datetimefield_value(run.cutoff),
                ops.adapt_datefield_value(run.payout_date),
                now, now, run.pk,
            ],
        )
        cursor.execute(f"DELETE FROM {PLAN_TABLE}")  # noqa: S608
