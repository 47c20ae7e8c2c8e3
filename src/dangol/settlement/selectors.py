"""Reads of settlement: a run's payouts and the reconciliation of ledger, payouts and
provider captures.

Settlement runs are operator data: callers (the admin, the `dangol settle` command) have
already checked that the acting user is a platform operator.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from dangol.core import clock
from dangol.core.calendar import next_business_day
from dangol.ledger.models import Account, Entry, Transaction
from dangol.places.models import Store
from dangol.settlement import cycles
from dangol.settlement.models import (
    BASIS_POINTS,
    Payout,
    SettlementPolicy,
    SettlementRun,
    StoreSettlementAccount,
)
from dangol.settlement.services import PAYOUT_KINDS, STORE_OWNER, fee_for, payout_key_prefix


def run_payouts(*, run: SettlementRun) -> QuerySet[Payout]:
    """Return the payouts of `run` with their stores, in store order."""
    return Payout.objects.filter(run=run).select_related("store").order_by("store_id")


@dataclass(frozen=True)
class Mismatch:
    """One store whose figures disagree; `None` means that source has no record."""

    store_id: int
    reason: str
    ledger: int | None
    payout: int | None
    captured: int | None


@dataclass(frozen=True)
class Reconciliation:
    """The comparison of one run's ledger postings, payouts and provider captures.

    `batch_mismatches` lists the ids of the run's ledger transactions whose clearing or fee
    leg differs from the sum of the nets or fees of the payouts recorded against them.
    """

    run_id: int
    ledger_total: int
    payout_total: int
    mismatches: list[Mismatch]
    batch_mismatches: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True if every source agrees for every store and every batch."""
        return not self.mismatches and not self.batch_mismatches


def run_reconcile(
    *, run: SettlementRun, captures: Mapping[int, int] | None = None
) -> Reconciliation:
    """Compare, per store, the net the ledger paid for `run`, the net of its Payout row and
    (if given) what the bank/provider reports as transferred, and list every difference.

    The ledger side is found by the run's idempotency-key prefix (`payout:<run>:` or
    `fastpayout:<run>:`), independently of the Payout rows. A batch's posting takes each
    store's amount from its payable in one entry and moves the batch's nets and fees in one
    entry each, so a store's ledger net is its payable entry less the fee on its Payout row,
    and each batch's clearing and fee legs are checked against the sums of its payouts.
    Four set-based reads."""
    prefix = payout_key_prefix(run=run)
    posted = Transaction.objects.filter(
        kind__in=PAYOUT_KINDS, idempotency_key__startswith=prefix
    )
    taken: dict[int, int] = {}
    legs: dict[tuple[int, str], int] = {}
    for transaction_id, kind, owner_id, amount in Entry.objects.filter(
        transaction__in=posted
    ).values_list("transaction_id", "account__kind", "account__owner_id", "amount"):
        if kind == Account.Kind.STORE_PAYABLE and owner_id is not None:
            taken[owner_id] = taken.get(owner_id, 0) - amount
        else:
            legs[(transaction_id, kind)] = legs.get((transaction_id, kind), 0) + amount
    payouts = {
        store_id: (amount, fee, net, transaction_id)
        for store_id, amount, fee, net, transaction_id in Payout.objects.filter(run=run)
        .order_by()
        .values_list("store_id", "amount", "fee", "net", "transaction_id")
    }
    batches: dict[int, tuple[int, int]] = {
        transaction_id: (0, 0) for transaction_id in posted.values_list("pk", flat=True)
    }
    for _amount, fee, net, transaction_id in payouts.values():
        nets, fees = batches.get(transaction_id, (0, 0))
        batches[transaction_id] = (nets + net, fees + fee)
    batch_mismatches = sorted(
        transaction_id
        for transaction_id, (nets, fees) in batches.items()
        if legs.get((transaction_id, Account.Kind.PAYOUT_CLEARING), 0) != nets
        or legs.get((transaction_id, Account.Kind.PLATFORM_FEE_REVENUE), 0) != fees
    )
    mismatches: list[Mismatch] = []
    stores = set(taken) | set(payouts) | set(captures or {})
    for store_id in sorted(stores):
        payout = payouts.get(store_id)
        in_payouts = payout[2] if payout is not None else None
        in_ledger = (
            taken[store_id] - (payout[1] if payout is not None else 0)
            if store_id in taken
            else None
        )
        captured = captures.get(store_id) if captures is not None else None
        reason = ""
        if in_ledger is None:
            reason = "no_ledger_posting"
        elif in_payouts is None:
            reason = "no_payout"
        elif in_ledger != in_payouts:
            reason = "ledger_payout_differ"
        elif captures is not None and captured != in_payouts:
            reason = "capture_differs"
        if reason:
            mismatches.append(
                Mismatch(
                    store_id=store_id, reason=reason, ledger=in_ledger, payout=in_payouts,
                    captured=captured,
                )
            )
    return Reconciliation(
        run_id=run.pk,
        ledger_total=sum(
            amount
            for (_transaction, kind), amount in legs.items()
            if kind == Account.Kind.PAYOUT_CLEARING
        ),
        payout_total=sum(net for _amount, _fee, net, _transaction in payouts.values()),
        mismatches=mismatches,
        batch_mismatches=batch_mismatches,
    )


# --- pages: the merchant's settlement page and the operators' console --------------------------
# The page-level authorisation (store manager, operator) is done by the views before
# calling these.


@dataclass(frozen=True)
class NextSettlement:
    """One coming payout of a store: `kind` is "fast" or "regular"; `amount` is an estimate
    of the net won (what the store is owed now, less the fee), `cutoff` None when unknown."""

    kind: str
    payout_date: dt.date
    amount: int
    cutoff: dt.datetime | None = None


def store_settlement_account(*, store: Store) -> StoreSettlementAccount | None:
    """Return the store's settlement account with its policy, or None if it has none."""
    return (
        StoreSettlementAccount.objects.select_related("policy").filter(store=store).first()
    )


def store_payable_balance(*, store: Store) -> int:
    """Return what the platform owes `store` now: its `store_payable` balance (0 if none)."""
    balance = (
        Account.objects.filter(
            owner_type=STORE_OWNER, owner_id=store.pk, kind=Account.Kind.STORE_PAYABLE
        )
        .values_list("balance", flat=True)
        .first()
    )
    return int(balance or 0)


def store_statements(*, store: Store) -> QuerySet[Payout]:
    """Return the statements of `store` (its payouts, each its own statement) with their runs,
    newest payout date first."""
    return (
        Payout.objects.filter(store=store)
        .select_related("run__policy")
        .order_by("-run__payout_date", "-id")
    )


def store_statement_get(*, store: Store, payout_id: int) -> Payout | None:
    """Return the statement of payout `payout_id` if it belongs to `store` (None otherwise),
    with its run and store loaded for the PDF."""
    return Payout.objects.filter(store=store, pk=payout_id).select_related("run", "store").first()


def statement_get(*, payout_id: int) -> Payout | None:
    """Return the statement of any payout by id with its run and store (operators' view)."""
    return Payout.objects.filter(pk=payout_id).select_related("run", "store").first()


def settlement_runs_overview() -> QuerySet[SettlementRun]:
    """Return every run with its policy, newest cut-off first, annotated with
    `payouts_count`, `amount_total`, `fee_total` and `net_total` (one query)."""
    return (
        SettlementRun.objects.select_related("policy")
        .annotate(
            payouts_count=Count("payouts"),
            amount_total=Coalesce(Sum("payouts__amount"), 0),
            fee_total=Coalesce(Sum("payouts__fee"), 0),
            net_total=Coalesce(Sum("payouts__net"), 0),
        )
        .order_by("-cutoff", "-id")
    )


def settlement_run_get(*, run_id: int) -> SettlementRun | None:
    """Return run `run_id` with its policy and payout totals (see settlement_runs_overview)."""
    return settlement_runs_overview().filter(pk=run_id).first()


def run_payout_rows(*, run: SettlementRun) -> QuerySet[Payout]:
    """Return the payouts of `run` with their store and run, in store order (one query)."""
    return Payout.objects.filter(run=run).select_related("store", "run").order_by("store_id")


def store_names(*, store_ids: Iterable[int]) -> dict[int, str]:
    """Return the names of the given stores by id (one query)."""
    return dict(Store.objects.filter(pk__in=list(store_ids)).values_list("pk", "name"))


def policy_last_cutoff(*, policy: SettlementPolicy, at: dt.datetime | None = None) -> dt.datetime:
    """Return the latest cut-off of `policy` at or before `at` (now by default)."""
    moment = at or clock.now()
    month = moment.astimezone(clock.KST).date().replace(day=1)
    for _ in range(13):
        passed = [cutoff for cutoff in cycles.policy_cutoffs(policy, month) if cutoff <= moment]
        if passed:
            return passed[-1]
        month -= relativedelta(months=1)
    raise ValueError("policy has no cut-off days")


# --- the store's next payouts, knowing the fast-settlement windows ----------------------------


def store_next_settlements(
    *, store: Store, at: dt.datetime | None = None
) -> list[NextSettlement]:
    """Return the store's coming payouts as of `at` (now by default): first the fast one
    (빠른정산) if the store is eligible, then the regular one; [] without a settlement account.

    The fast payout is that of the first fast cut-off not yet run (yesterday's before this
    morning's run, else today's): its share of the redemptions in its window so far, capped
    by what is owed. The regular payout is that of the policy's first cut-off not yet run:
    what is owed at it (or now, if it is still ahead) less the fast advance estimated above.
    Amounts are net of fees and only estimates: redemptions keep arriving until a cut-off.
    At most six queries.
    """
    from dangol.settlement.services import REDEMPTION_KIND

    account = store_settlement_account(store=store)
    if account is None:
        return []
    moment = at or clock.now()
    owed = store_payable_balance(store=store)
    payable_entries = Entry.objects.filter(
        account__owner_type=STORE_OWNER, account__owner_id=store.pk,
        account__kind=Account.Kind.STORE_PAYABLE,
    )
    result: list[NextSettlement] = []
    fast_amount = 0
    fast_start: dt.datetime | None = None
    if account.fast_settlement_eligible:
        last_fast = (
            SettlementRun.objects.filter(kind=SettlementRun.Kind.FAST, cutoff__lte=moment)
            .order_by("-cutoff")
            .first()
        )
        fast_cutoff = cycles.latest_fast_cutoff(moment)
        if last_fast is not None and fast_cutoff <= last_fast.cutoff:
            day = moment.astimezone(clock.KST).date()
            fast_cutoff = cycles.fast_cutoff(next_business_day(day, include_today=True))
            if fast_cutoff <= last_fast.cutoff:
                fast_cutoff = cycles.fast_cutoff(next_business_day(day))
        if last_fast is not None:
            fast_start = last_fast.cutoff
        else:
            day_of = fast_cutoff.astimezone(clock.KST).date() - dt.timedelta(days=1)
            fast_start = cycles.fast_cutoff(cycles.previous_business_day(day_of))
        window = payable_entries.filter(
            transaction__kind=REDEMPTION_KIND, transaction__created_at__gt=fast_start,
            transaction__created_at__lte=min(fast_cutoff, moment),
        ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
        fast_amount = max(min(window * account.fast_share_bp // BASIS_POINTS, owed), 0)
        result.append(
            NextSettlement(
                kind="fast",
                payout_date=cycles.fast_payout_date(fast_cutoff),
                amount=fast_amount - fee_for(amount=fast_amount, fee_bp=account.fast_fee_bp),
                cutoff=fast_cutoff,
            )
        )
    policy = account.policy
    last_regular = (
        SettlementRun.objects.filter(kind=SettlementRun.Kind.REGULAR, policy=policy)
        .order_by("-cutoff")
        .first()
    )
    cutoff = cycles.next_cutoff(policy, last_regular.cutoff if last_regular else moment)
    regular_owed = owed
    if cutoff < moment:
        regular_owed -= payable_entries.filter(transaction__created_at__gt=cutoff).exclude(
            transaction__kind__in=PAYOUT_KINDS
        ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    if fast_start is not None and fast_start < cutoff:
        # The coming fast payout advances money the regular run would otherwise pay.
        regular_owed -= fast_amount
    regular_owed = max(regular_owed, 0)
    result.append(
        NextSettlement(
            kind="regular",
            payout_date=cycles.payout_date(policy, cutoff),
            amount=regular_owed - fee_for(amount=regular_owed, fee_bp=policy.fee_bp),
            cutoff=cutoff,
        )
    )
    return result
