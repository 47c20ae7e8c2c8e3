"""Reads of the ledger: balances, statements and the full consistency check.

The ledger knows no users: the domain that owns an account decides who may see it and
calls these functions for what it has allowed.
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Count, F, Q, Sum, Value, Window
from django.db.models.functions import Coalesce

from dangol.ledger.models import Account, Entry, Transaction


def _sum_or_zero(field: str) -> Coalesce:
    return Coalesce(Sum(field), Value(0), output_field=models.BigIntegerField())


def account_balance(*, account: Account) -> int:
    """Return the account's stored balance in won (one indexed read, always current)."""
    return Account.objects.values_list("balance", flat=True).get(pk=account.pk)


def account_balance_from_entries(*, account: Account) -> int:
    """Return the account's balance recomputed as the sum of its entries."""
    result: int = Entry.objects.filter(account_id=account.pk).aggregate(
        total=_sum_or_zero("amount")
    )["total"]
    return result


def account_statement(*, account: Account, page: int = 1, per_page: int = 50) -> Page:
    """Return page `page` of the account's entries, newest first, each with its transaction
    and `running_balance`, the account's balance right after that entry.

    Entry ids of one account grow in commit order, because a posting holds the account's
    lock until it commits, so the running sum in id order is the balance history.
    """
    entries = (
        Entry.objects.filter(account_id=account.pk)
        .select_related("transaction")
        .annotate(
            running_balance=Window(
                Sum("amount"), order_by=F("id").asc(), output_field=models.BigIntegerField()
            )
        )
        .order_by("-id")
    )
    return Paginator(entries, per_page).get_page(page)


@dataclass(frozen=True)
class BalanceMismatch:
    """An account whose stored balance differs from the sum of its entries."""

    account_id: int
    account_name: str
    stored: int
    from_entries: int


@dataclass(frozen=True)
class UnbalancedRecord:
    """A transaction whose entries do not sum to zero, or that has fewer than two."""

    transaction_id: int
    idempotency_key: str
    total: int
    entry_count: int


@dataclass(frozen=True)
class NegativeAccount:
    """A non-negative account found below zero."""

    account_id: int
    account_name: str
    balance: int


@dataclass(frozen=True)
class VerifyReport:
    """What `ledger_verify` checked and every difference it found."""

    accounts: int
    transactions: int
    total_balance: int
    balance_mismatches: list[BalanceMismatch]
    unbalanced_transactions: list[UnbalancedRecord]
    negative_accounts: list[NegativeAccount]

    @property
    def ok(self) -> bool:
        """Return True if the ledger satisfies every invariant of DESIGN.md §5."""
        return (
            self.total_balance == 0
            and not self.balance_mismatches
            and not self.unbalanced_transactions
            and not self.negative_accounts
        )


def ledger_verify() -> VerifyReport:
    """Recompute the whole ledger and return every difference from its invariants.

    Each check is one set-based query (each sees one consistent snapshot): every stored
    balance against the sum of the account's entries, every transaction's entries summing
    to zero (with at least two), non-negative accounts at or above zero, and the sum of all
    balances being zero.
    """
    totals = Account.objects.aggregate(count=Count("id"), total=_sum_or_zero("balance"))
    mismatches = [
        BalanceMismatch(account_id=pk, account_name=name, stored=stored, from_entries=summed)
        for pk, name, stored, summed in Account.objects.annotate(
            from_entries=_sum_or_zero("entries__amount")
        )
        .exclude(balance=F("from_entries"))
        .order_by("id")
        .values_list("id", "name", "balance", "from_entries")
    ]
    unbalanced = [
        UnbalancedRecord(transaction_id=pk, idempotency_key=key, total=total, entry_count=count)
        for pk, key, total, count in Transaction.objects.annotate(
            total=_sum_or_zero("entries__amount"), entry_count=Count("entries")
        )
        .filter(~Q(total=0) | Q(entry_count__lt=2))
        .order_by("id")
        .values_list("id", "idempotency_key", "total", "entry_count")
    ]
    negative = [
        NegativeAccount(account_id=pk, account_name=name, balance=balance)
        for pk, name, balance in Account.objects.filter(non_negative=True, balance__lt=0)
        .order_by("id")
        .values_list("id", "name", "balance")
    ]
    return VerifyReport(
        accounts=totals["count"],
        transactions=Transaction.objects.count(),
        total_balance=totals["total"],
        balance_mismatches=mismatches,
        unbalanced_transactions=unbalanced,
        negative_accounts=negative,
    )
