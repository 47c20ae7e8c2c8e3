"""Reads of settlement: a run's payouts and the reconciliation of ledger, payouts and
provider captures.

Settlement runs are operator data: callers (the admin, the `dangol settle` command) have
already checked that the acting user is a platform operator.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import QuerySet

from dangol.ledger.models import Account, Entry, Transaction
from dangol.settlement.models import Payout, SettlementRun
from dangol.settlement.services import PAYOUT_KIND


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
    """The comparison of one run's ledger postings, payouts and provider captures."""

    run_id: int
    ledger_total: int
    payout_total: int
    mismatches: list[Mismatch]

    @property
    def ok(self) -> bool:
        """Return True if every source agrees for every store."""
        return not self.mismatches


def _store_of(key: str, prefix: str) -> int:
    return int(key.removeprefix(prefix))


def run_reconcile(
    *, run: SettlementRun, captures: Mapping[int, int] | None = None
) -> Reconciliation:
    """Compare, per store, what the ledger moved into payout clearing for `run`, the net of
    its Payout row and (if given) what the bank/provider reports as transferred, and list
    every difference. The ledger side is found by the payout idempotency keys
    (`payout:<run>:<store>`), independently of the Payout rows. Three set-based reads."""
    prefix = f"payout:{run.pk}:"
    posted = Transaction.objects.filter(kind=PAYOUT_KIND, idempotency_key__startswith=prefix)
    ledger = {_store_of(key, prefix): 0 for key in posted.values_list("idempotency_key", flat=True)}
    for key, amount in Entry.objects.filter(
        transaction__in=posted, account__kind=Account.Kind.PAYOUT_CLEARING
    ).values_list("transaction__idempotency_key", "amount"):
        ledger[_store_of(key, prefix)] += amount
    payouts = dict(
        Payout.objects.filter(run=run).order_by().values_list("store_id", "net")
    )
    mismatches: list[Mismatch] = []
    stores = set(ledger) | set(payouts) | set(captures or {})
    for store_id in sorted(stores):
        in_ledger = ledger.get(store_id)
        in_payouts = payouts.get(store_id)
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
        ledger_total=sum(ledger.values()),
        payout_total=sum(payouts.values()),
        mismatches=mismatches,
    )
