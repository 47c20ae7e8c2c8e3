"""Writes of settlement: policies, store accounts, regular runs and fast runs (빠른정산).

A run pays stores in batches. Each batch is one database transaction that locks the batch's
`store_payable` accounts in primary-key order (the order every ledger posting locks in),
computes what each store is owed from the locked balances and one GROUP BY over later
entries, and writes the payout plan to a temporary table. The ledger's set-based posting
(`dangol.ledger.bulk.ledger_post_set`) then posts ONE balanced ledger transaction for the
whole batch from that table (idempotency key `payout:<run>:<first store>` or
`fastpayout:<run>:<first store>`, with the fingerprint `ledger_post` would give it): one
entry per store taking its amount from its payable, one entry putting the batch's nets into
`payout_clearing` and one its fees into `platform_fee_revenue`, and the payables' stored
balances. Settlement then writes only its own rows: the Payout rows, one `INSERT … SELECT`
from the plan (each pointing at the batch's transaction and keeping the store's amount, fee
and net; each is also the store's statement, numbered from its run and store). The two
platform accounts (payout clearing and fee revenue, which only settlement posts to) are
locked last, by the ledger's UPDATE of their balances when the posting's block ends, just
before COMMIT, and on PostgreSQL the batch checks its foreign keys as each statement ends
(SET CONSTRAINTS ALL IMMEDIATE) instead of at COMMIT, so those two rows are held only for
that UPDATE and the COMMIT. So the ledger invariants of DESIGN.md §5 hold as if the batch
had gone through `ledger_post`, and `selectors.run_reconcile` checks every store's entry
against its Payout row and every batch's clearing and fee legs against the sums of its
payouts.

Who holds the run. Paid one after another, each batch locks the run row (FOR UPDATE) first,
so a second process running the same run waits and then finds those stores paid. On
PostgreSQL, outside a caller's transaction, the batches run `workers` at a time (default
settings.DANGOL_SETTLEMENT_WORKERS), each in its own thread and connection: a coordinating
transaction then holds the run row (FOR NO KEY UPDATE, which the payouts' foreign-key checks
pass) from the first batch until the run is marked completed, and the batches do not lock
it.

A run that dies between batches is resumed by running it again: stores that already have a
payout in the run are skipped, and the unique constraints on (run, store) and on the
ledger idempotency key make a double payment impossible.

Fast settlement (빠른정산). A fast run has no policy and one cut-off, the midnight (KST) that
ends a business day; it pays on the next business day. An eligible store gets
amount = min(⌊fast_share_bp × window / 10000⌋, owed at the cut-off), where window is what
voucher redemptions (ledger kind `voucher_redeem`) credited its payable after the previous
fast run's cut-off (the run's `window_start`), and fee = ⌊amount × fast_fee_bp / 10000⌋.
Fast runs must be made in cut-off order (a skipped day just widens the next window).

What a run owes a store at a cut-off C is its stored balance less the non-payout entries
after C, plus the fast payouts whose whole window lies after C (window_start ≥ C): those
advanced money earned after C, so they must not reduce what C owes. Every other payout, of
either kind, has been made and is subtracted. The design suggested in the issue added back
every fast payout whose *cut-off* is after C; that overpays when a fast window straddles C
(a 23:59 regular cut-off and the fast cut-off one minute later): the regular run would pay
all redemptions up to C although the fast run had already advanced 90% of them. With the
rule above a straddling advance is subtracted in full, so the regular run pays the rest of
what was earned up to C less the advance on the minutes after C (never below zero), and the
next regular run pays what is left. Hence, in every order of runs, no store is ever paid
more than it has earned, and once a regular run covers everything the total paid equals the
redemptions (tests/settlement/test_fast_properties.py checks both, with `ledger_verify`).
"""

import datetime as dt
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Sum

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core import clock
from dangol.ledger import bulk as ledger_bulk
from dangol.ledger import catalogue
from dangol.ledger.models import Account, Entry
from dangol.places.models import Store
from dangol.settlement import cycles
from dangol.settlement.errors import (
    CutoffInFuture,
    FastRunOutOfOrder,
    InvalidFastCutoff,
    InvalidPolicy,
    PayableShort,
)
from dangol.settlement.models import (
    BASIS_POINTS,
    Payout,
    SettlementPolicy,
    SettlementRun,
    StoreSettlementAccount,
)

PAYOUT_KIND = "settlement_payout"
FAST_PAYOUT_KIND = "settlement_fast_payout"
PAYOUT_KINDS = (PAYOUT_KIND, FAST_PAYOUT_KIND)
# The ledger kind of a voucher redemption (dangol.vouchers.services.voucher_redeem): the
# credits a fast run advances.
REDEMPTION_KIND = "voucher_redeem"
STORE_OWNER = catalogue.STORE_OWNER_TYPE

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


def settlement_run(
    *,
    policy: SettlementPolicy,
    cutoff: dt.datetime,
    batch_size: int = 5000,
    workers: int | None = None,
    actor: User | None = None,
) -> SettlementRun:
    """Pay every store on `policy` what it is owed at `cutoff`; return the run.

    Owed is the payable balance at the cut-off less every payout made since (see the module
    docstring for fast payouts). Idempotent by (policy, cutoff): a completed run is returned
    as is, an interrupted one is resumed and ends with exactly the payouts an uninterrupted
    run makes. `workers` batches of `batch_size` stores are paid at a time (on PostgreSQL
    outside a transaction; one at a time otherwise). Raise CutoffInFuture if `cutoff`
    (aware) has not passed yet, since postings up to it could still arrive, and
    PayableShort if a non-negative payable holds less than it is owed. The call that
    completes the run records it in the audit log as `actor`'s (None: the scheduler or the
    command line).
    """
    if cutoff.tzinfo is None:
        raise ValueError("cutoff must be an aware datetime")
    if cutoff > clock.now():
        raise CutoffInFuture(cutoff=cutoff.astimezone(clock.KST).isoformat())
    run, _created = SettlementRun.objects.get_or_create(
        kind=SettlementRun.Kind.REGULAR, policy=policy, cutoff=cutoff,
        defaults={"payout_date": cycles.payout_date(policy, cutoff)},
    )
    return _run_complete(run=run, batch_size=batch_size, workers=workers, actor=actor)


def fast_settlement_run(
    *, cutoff: dt.datetime, batch_size: int = 5000, workers: int | None = None,
    actor: User | None = None,
) -> SettlementRun:
    """Advance every fast-settlement store its share of the redemptions of the business day
    that `cutoff` ends (KST midnight); return the run, paying on the next business day.

    A store gets ⌊fast_share_bp × window / 10000⌋ won, where window is what voucher
    redemptions credited its payable after the previous fast run's cut-off up to `cutoff`,
    but never more than it is owed at `cutoff`; the fee is ⌊amount × fast_fee_bp / 10000⌋.
    Idempotent by cut-off, resumable and batched like `settlement_run`. Raise InvalidFastCutoff if
    `cutoff` does not end a business day, CutoffInFuture if it has not passed, and
    FastRunOutOfOrder if a fast run with a later cut-off exists. Audited like
    `settlement_run`.
    """
    if cutoff.tzinfo is None:
        raise ValueError("cutoff must be an aware datetime")
    day = cycles.fast_cutoff_day(cutoff)
    if day is None:
        raise InvalidFastCutoff(cutoff=cutoff.astimezone(clock.KST).isoformat())
    if cutoff > clock.now():
        raise CutoffInFuture(cutoff=cutoff.astimezone(clock.KST).isoformat())
    fast = SettlementRun.objects.filter(kind=SettlementRun.Kind.FAST)
    run = fast.filter(cutoff=cutoff).first()
    if run is None:
        later = fast.filter(cutoff__gt=cutoff).order_by("cutoff").first()
        if later is not None:
            raise FastRunOutOfOrder(cutoff=later.cutoff.astimezone(clock.KST).isoformat())
        previous = fast.filter(cutoff__lt=cutoff).order_by("-cutoff").first()
        window_start = (
            previous.cutoff
            if previous is not None
            else cycles.fast_cutoff(cycles.previous_business_day(day))
        )
        run, _created = SettlementRun.objects.get_or_create(
            kind=SettlementRun.Kind.FAST, policy=None, cutoff=cutoff,
            defaults={
                "window_start": window_start,
                "payout_date": cycles.fast_payout_date(cutoff),
            },
        )
    return _run_complete(run=run, batch_size=batch_size, workers=workers, actor=actor)


def _run_complete(
    *, run: SettlementRun, batch_size: int, workers: int | None, actor: User | None
) -> SettlementRun:
    """Pay the run's unpaid stores in batches of `batch_size` payable accounts, then mark
    it completed and audit it as `actor`'s; a completed run is returned as is."""
    if run.status == SettlementRun.Status.COMPLETED:
        return run
    if workers is None:
        workers = settings.DANGOL_SETTLEMENT_WORKERS
    clearing, revenue = catalogue.payout_clearing_account(), catalogue.fee_revenue_account()
    if workers < 2 or connection.vendor != "postgresql" or connection.in_atomic_block:
        for first, last in _batch_ranges(_unpaid_payable_ids(run), batch_size):
            _stores_paid(
                _batch_pay(run=run, first=first, last=last, clearing=clearing, revenue=revenue)
            )
        _run_mark_completed(run, actor=actor)
        return run
    with transaction.atomic():
        # Held until the run is marked completed: another process running the same run
        # waits here. NO KEY UPDATE lets the batches' foreign-key checks (KEY SHARE) pass.
        held = SettlementRun.objects.select_for_update(no_key=True).get(pk=run.pk)
        if held.status == SettlementRun.Status.COMPLETED:  # by another process meanwhile
            return held
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="settle") as pool:
            futures = [
                pool.submit(
                    _batch_pay_in_thread, run=run, first=first, last=last,
                    clearing=clearing, revenue=revenue,
                )
                for first, last in _batch_ranges(_unpaid_payable_ids(run), batch_size)
            ]
            for future in futures:
                _stores_paid(future.result())
        _run_mark_completed(run, actor=actor)
    return run


def _unpaid_payable_ids(run: SettlementRun) -> list[int]:
    return list(_unpaid_payables(run=run).values_list("pk", flat=True))


def _batch_ranges(payable_ids: list[int], batch_size: int) -> list[tuple[int, int]]:
    """Return the (first, last) payable account ids of each batch of `batch_size` ids."""
    return [
        (payable_ids[start], payable_ids[min(start + batch_size, len(payable_ids)) - 1])
        for start in range(0, len(payable_ids), batch_size)
    ]


def _stores_paid(store_ids: list[int]) -> None:
    """Tell the test seam `after_store` about each store a committed batch paid."""
    if after_store is not None:
        for store_id in store_ids:
            after_store(store_id)


@transaction.atomic
def _run_mark_completed(run: SettlementRun, *, actor: User | None) -> None:
    """Mark the run completed and record it, with what it paid, in the audit log."""
    run.status = SettlementRun.Status.COMPLETED
    run.completed_at = clock.now()
    run.save(update_fields=["status", "completed_at", "updated_at"])
    paid = Payout.objects.filter(run=run).aggregate(total=Sum("net"), count=Count("id"))
    audit_record(
        action=AuditEntry.Action.SETTLEMENT_RUN, actor=actor, subject=f"settlement_run:{run.pk}",
        amount=paid["total"] or 0,
        details={
            "kind": run.kind, "cutoff": run.cutoff.astimezone(clock.KST).isoformat(),
            "payouts": paid["count"],
        },
    )


def _batch_pay_in_thread(**kwargs: Any) -> list[int]:
    """Run `_batch_pay` in a worker thread, on that thread's own connection, which is
    closed at the end; the coordinating transaction holds the run, so the batch does not."""
    try:
        return _batch_pay(**kwargs, lock_run=False)
    finally:
        connection.close()


def _settled_stores(*, run: SettlementRun) -> "models.QuerySet[StoreSettlementAccount]":
    """Return the settlement accounts of the stores the run settles."""
    if run.is_fast:
        return StoreSettlementAccount.objects.filter(fast_settlement_eligible=True)
    return StoreSettlementAccount.objects.filter(policy_id=run.policy_id)


def _unpaid_payables(*, run: SettlementRun) -> "models.QuerySet[Account]":
    """Return the payable accounts of the stores the run settles not yet paid by it."""
    return (
        Account.objects.filter(
            owner_type=STORE_OWNER,
            kind=Account.Kind.STORE_PAYABLE,
            owner_id__in=_settled_stores(run=run).values("store_id"),
        )
        .exclude(owner_id__in=Payout.objects.filter(run=run).values("store_id"))
        .order_by("pk")
    )


def _later_movements(
    *, first: int, last: int, cutoff: dt.datetime, stores: dict[int, int]
) -> dict[int, int]:
    """Return, per account with id in [first, last], what its stored balance holds beyond
    what it is owed at `cutoff`: the sum of its entries posted after `cutoff` other than
    payouts, plus the entries (negative) of fast payouts whose window starts at or after
    `cutoff`, which advance money earned after the cut-off. `stores` maps the batch's
    store ids to their account ids. One GROUP BY over the entries after the cut-off and,
    only when such fast runs exist, one over their payouts."""
    rows = (
        Entry.objects.filter(
            account_id__gte=first, account_id__lte=last, transaction__created_at__gt=cutoff
        )
        .exclude(transaction__kind__in=PAYOUT_KINDS)
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    later = dict(rows)
    fast_runs = list(
        SettlementRun.objects.filter(
            kind=SettlementRun.Kind.FAST, window_start__gte=cutoff
        ).values_list("pk", flat=True)
    )
    if not fast_runs:
        return later
    advanced = (
        Payout.objects.filter(run_id__in=fast_runs)
        .order_by()
        .values("store_id")
        .annotate(total=Sum("amount"))
        .values_list("store_id", "total")
    )
    for store_id, total in advanced:
        account_id = stores.get(store_id)
        if account_id is not None:
            later[account_id] = later.get(account_id, 0) - total
    return later


def _fast_windows(
    *, first: int, last: int, start: dt.datetime, end: dt.datetime
) -> dict[int, int]:
    """Return, per account with id in [first, last], what voucher redemptions credited it in
    (start, end] (one GROUP BY)."""
    rows = (
        Entry.objects.filter(
            account_id__gte=first, account_id__lte=last,
            transaction__kind=REDEMPTION_KIND,
            transaction__created_at__gt=start, transaction__created_at__lte=end,
        )
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    return dict(rows)


PLAN_TABLE = "settlement_payout_plan"

# One planned payout: (store id, payable account id, amount, fee).
PlanRow = tuple[int, int, int, int]


def _plan_load(cursor: Any, rows: list[PlanRow]) -> None:
    """Fill this connection's temporary plan table with (store, account, amount, fee) rows."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {PLAN_TABLE} ("
        "store_id BIGINT NOT NULL, account_id BIGINT NOT NULL, amount BIGINT NOT NULL, "
        "fee BIGINT NOT NULL)"
    )
    cursor.execute(f"DELETE FROM {PLAN_TABLE}")  # noqa: S608
    if connection.vendor == "postgresql":
        # COPY streams the rows without building one large SQL literal.
        with cursor.cursor.copy(f"COPY {PLAN_TABLE} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(
            f"INSERT INTO {PLAN_TABLE} VALUES (%s, %s, %s, %s)", rows  # noqa: S608
        )


def _batch_pay(
    *,
    run: SettlementRun,
    first: int,
    last: int,
    clearing: Account,
    revenue: Account,
    lock_run: bool = True,
) -> list[int]:
    """Pay the unpaid stores whose payable account id is in [first, last], in one database
    transaction; return the ids of the stores it paid."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if lock_run:
            SettlementRun.objects.select_for_update().filter(pk=run.pk).first()
        return _batch_plan_and_post(
            run=run, first=first, last=last, clearing=clearing, revenue=revenue
        )


def _batch_plan_and_post(
    *, run: SettlementRun, first: int, last: int, clearing: Account, revenue: Account
) -> list[int]:
    """The body of `_batch_pay`, inside its transaction."""
    locked = list(
        Account.objects.select_for_update(no_key=True)
        .filter(
            pk__in=_unpaid_payables(run=run).filter(pk__gte=first, pk__lte=last).values("pk")
        )
        .order_by("pk")
        .values_list("pk", "owner_id", "balance", "non_negative")
    )
    stores = {store_id: pk for pk, store_id, *_rest in locked if store_id is not None}
    later = _later_movements(first=first, last=last, cutoff=run.cutoff, stores=stores)
    windows: dict[int, int] = {}
    terms: dict[int, tuple[int, int]] = {}
    if run.window_start is not None:
        windows = _fast_windows(first=first, last=last, start=run.window_start, end=run.cutoff)
        terms = {
            store_id: (share_bp, fee_bp)
            for store_id, share_bp, fee_bp in StoreSettlementAccount.objects.filter(
                store_id__in=list(stores)
            ).values_list("store_id", "fast_share_bp", "fast_fee_bp")
        }
    policy_fee_bp = run.policy.fee_bp if run.policy is not None else 0
    plan: list[PlanRow] = []
    for pk, store_id, balance, non_negative in locked:
        if store_id is None:
            continue
        amount = balance - later.get(pk, 0)
        if run.is_fast:
            share_bp, fee_bp = terms[store_id]
            amount = min(windows.get(pk, 0) * share_bp // BASIS_POINTS, amount)
        else:
            fee_bp = policy_fee_bp
        if amount <= 0:
            continue
        if non_negative and balance < amount:
            raise PayableShort(store=store_id)
        plan.append((store_id, pk, amount, fee_for(amount=amount, fee_bp=fee_bp)))
    if plan:
        _plan_post(run=run, plan=plan, clearing=clearing, revenue=revenue)
    return [store_id for store_id, *_rest in plan]


def batch_legs(
    *, plan: list[PlanRow], clearing: Account, revenue: Account
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Return the ledger legs of one batch's posting, (account id, won): each store's
    payable gives its amount; and the platform's legs: payout clearing receives the sum of
    the nets and fee revenue the sum of the fees (a leg that would be zero is left out)."""
    stores = [(account_id, -amount) for _store, account_id, amount, _fee in plan]
    net = sum(amount - fee for _store, _account, amount, fee in plan)
    fees = sum(fee for *_rest, fee in plan)
    platform = [(account.pk, won) for account, won in ((clearing, net), (revenue, fees)) if won]
    return stores, platform


def _key_prefix(run: SettlementRun) -> str:
    """Return the idempotency-key prefix of the run's payout postings; the store id follows."""
    return f"fastpayout:{run.pk}:" if run.is_fast else f"payout:{run.pk}:"


def payout_key_prefix(*, run: SettlementRun) -> str:
    """Return the prefix of the idempotency keys of `run`'s payout postings
    (`payout:<run>:` or `fastpayout:<run>:`), followed by the store id."""
    return _key_prefix(run)


def _plan_post(
    *,
    run: SettlementRun,
    plan: list[PlanRow],
    clearing: Account,
    revenue: Account,
) -> None:
    """Write the plan: one ledger transaction for the batch (through the ledger's set-based
    posting, which writes its entries and balances) and the payouts, which are the
    statements, set-based.

    The transaction's idempotency key is the run's prefix and the batch's first store id
    (`payout:<run>:<store>`): a batch commits whole or not at all and its stores are never
    paid again in the run, so the key is unique, and its fingerprint is what `ledger_post`
    would store for the same legs. Call inside the batch's transaction with the plan's
    accounts locked; the two platform accounts are locked when the posting ends, after
    the payouts are written, just before COMMIT.
    """
    now = connection.ops.adapt_datetimefield_value(clock.now())
    store_legs, platform_legs = batch_legs(plan=plan, clearing=clearing, revenue=revenue)
    with connection.cursor() as cursor:
        _plan_load(cursor, plan)
    with ledger_bulk.ledger_post_set(
        idempotency_key=f"{_key_prefix(run)}{plan[0][0]}",
        kind=FAST_PAYOUT_KIND if run.is_fast else PAYOUT_KIND,
        legs=store_legs,
        source=ledger_bulk.LegSource(relation=PLAN_TABLE, account="account_id", amount="-amount"),
        shared=platform_legs,
        description="빠른정산 지급" if run.is_fast else "정산 지급",
        metadata={"run": run.pk, "stores": len(plan)},
    ) as posted, connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Payout._meta.db_table} (run_id, store_id, amount, fee, net, "  # noqa: S608
            "bank_name, account_number, transaction_id, created_at, updated_at) "
            "SELECT %s, p.store_id, p.amount, p.fee, p.amount - p.fee, s.bank_name, "
            f"s.account_number, %s, %s, %s FROM {PLAN_TABLE} p "
            f"JOIN {StoreSettlementAccount._meta.db_table} s ON s.store_id = p.store_id",
            [run.pk, posted.pk, now, now],
        )
        cursor.execute(f"DELETE FROM {PLAN_TABLE}")  # noqa: S608
