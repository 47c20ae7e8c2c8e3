"""Set-based postings: one balanced transaction with thousands of legs, written in SQL.

`ledger_post` suits postings of a few legs. A settlement batch pays 5,000 stores in one
transaction: one leg out of each store's payable, plus one leg into payout clearing and one
into fee revenue. Posting it through `ledger_post` would lock, read and update the accounts
row by row; `ledger_post_set` writes the same transaction, entries and balances with a
handful of set-based statements that read the per-account legs from a relation the caller
has filled (a temporary table of its plan), keeping every invariant of DESIGN.md §5:

- the legs (the set's and the shared ones) are checked in Python as `ledger_post` checks
  them (integers, not zero, within the limit, summing to zero), and the set's legs the
  database actually inserted are counted and summed against them;
- the transaction carries the fingerprint `ledger_post` would store for the same legs, so a
  later `ledger_post` with the same key replays it instead of conflicting;
- every account's stored balance grows by its entries in the same database transaction, and
  the database's `balance_nonneg` check refuses a non-negative account going below zero;
- locks: the caller has locked the set's accounts in primary-key order (as `accounts_lock`
  does) before it computed the legs; the shared accounts (platform rows that every batch
  posts to) are locked last, by the UPDATE of their balances when the caller's block ends,
  so that they are held only until COMMIT and concurrent batches do not queue on them.

The idempotency key must be new: a set posting is part of a larger write (a settlement
batch) that never runs twice, so a reused key fails on the unique index and rolls the
whole batch back.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db import transaction as db_transaction
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.money import format_won
from dangol.ledger.errors import InvalidEntries, UnbalancedTransaction
from dangol.ledger.models import Account, Entry, Transaction
from dangol.ledger.services import MAX_AMOUNT, transaction_fingerprint

# One leg: (account id, won into the account).
Leg = tuple[int, int]


@dataclass(frozen=True)
class LegSource:
    """Where the database holds a set's legs: one row of `relation` per account.

    `relation` is a table the caller filled in this transaction (a temporary table) or a
    parenthesised subquery with an alias; `account` and `amount` are SQL expressions over
    its columns giving each row's account id and the won that flow into that account.
    """

    relation: str
    account: str
    amount: str


@contextmanager
def ledger_post_set(
    *,
    idempotency_key: str,
    kind: str,
    legs: Sequence[Leg],
    source: LegSource,
    shared: Sequence[Leg] = (),
    description: str = "",
    metadata: dict[str, Any] | None = None,
) -> Iterator[Transaction]:
    """Post one balanced transaction of the set `legs` and the `shared` legs; yield it.

    `legs` are the set's legs, one per account, whose accounts the caller has locked in
    primary-key order; `source` is where the database holds the same legs. `shared` legs go
    to accounts other postings share; their balances are updated when the block ends, last
    before COMMIT, so the caller writes its own rows (those that point at the transaction)
    inside the block. Call inside a transaction; an exception in the block leaves it to be
    rolled back. Raise InvalidEntries for malformed legs or a source that does not hold
    `legs`, UnbalancedTransaction if the legs do not sum to zero, IntegrityError if the key
    exists or a non-negative account would go below zero.
    """
    _legs_check(legs, shared)
    now = clock.now()
    all_legs = [*legs, *shared]
    with db_transaction.atomic(savepoint=False):
        posted = Transaction.objects.create(
            idempotency_key=idempotency_key,
            kind=kind,
            description=description,
            fingerprint=transaction_fingerprint(kind, all_legs, None),
            metadata=metadata or {},
            created_at=now,
        )
        _entries_insert(posted.pk, source=source, count=len(legs), total=sum(a for _, a in legs))
        Entry.objects.bulk_create(
            Entry(transaction=posted, account_id=account_id, amount=amount)
            for account_id, amount in shared
        )
        _balances_add(source=source, now=now)
        yield posted
        if shared:
            # Last, so that the shared rows are locked only from here to COMMIT.
            Account.objects.filter(pk__in=[account_id for account_id, _ in shared]).update(
                balance=models.F("balance")
                + models.Case(
                    *(models.When(pk=pk, then=models.Value(amount)) for pk, amount in shared),
                    output_field=models.BigIntegerField(),
                ),
                updated_at=now,
            )


def _legs_check(legs: Sequence[Leg], shared: Sequence[Leg]) -> None:
    """Raise InvalidEntries or UnbalancedTransaction unless the legs form a posting."""
    for account_id, amount in [*legs, *shared]:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidEntries(reason=_("금액은 정수(원)여야 합니다"))
        if amount == 0 or abs(amount) > MAX_AMOUNT:
            raise InvalidEntries(reason=_("금액은 0이 아니고 한도 이내여야 합니다"))
        if isinstance(account_id, bool) or not isinstance(account_id, int):
            raise InvalidEntries(reason=_("저장된 계정이 아닙니다"))
    set_accounts = {account_id for account_id, _amount in legs}
    shared_accounts = {account_id for account_id, _amount in shared}
    if len(set_accounts) != len(legs) or len(shared_accounts) != len(shared):
        raise InvalidEntries(reason=_("한 계정에 분개가 두 번 있습니다"))
    if set_accounts & shared_accounts:
        raise InvalidEntries(reason=_("한 계정에 분개가 두 번 있습니다"))
    if len(legs) + len(shared) < 2:
        raise InvalidEntries(reason=_("분개가 두 개 이상이어야 합니다"))
    total = sum(amount for _account, amount in [*legs, *shared])
    if total != 0:
        raise UnbalancedTransaction(total=format_won(total))


def _entries_insert(transaction_id: int, *, source: LegSource, count: int, total: int) -> None:
    """Insert the entries of the set from `source`, in account order; raise InvalidEntries
    unless they are `count` entries summing to `total`."""
    entries = Entry._meta.db_table
    insert = (
        f'INSERT INTO {entries} ("transaction_id", "account_id", "amount")'  # noqa: S608
        f" SELECT %s, {source.account}, {source.amount} FROM {source.relation}"
        f" ORDER BY {source.account}"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Counted and summed in the statement that inserts them: no second round trip.
            cursor.execute(
                f'WITH inserted AS ({insert} RETURNING "amount")'  # noqa: S608
                ' SELECT COUNT(*), COALESCE(SUM("amount"), 0) FROM inserted',
                [transaction_id],
            )
        else:
            cursor.execute(insert, [transaction_id])
            cursor.execute(
                f'SELECT COUNT(*), COALESCE(SUM("amount"), 0) FROM {entries}'  # noqa: S608
                ' WHERE "transaction_id" = %s',
                [transaction_id],
            )
        inserted, inserted_total = cursor.fetchone()
    if (inserted, inserted_total) != (count, total):
        raise InvalidEntries(reason=_("집합의 분개가 넘겨받은 분개와 다릅니다"))


def _balances_add(*, source: LegSource, now: Any) -> None:
    """Add each of the set's legs to its account's stored balance (the rows are locked)."""
    accounts = Account._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {accounts} SET "balance" = {accounts}."balance" + s.amount,'  # noqa: S608
            f' "updated_at" = %s FROM (SELECT {source.account} AS account_id,'
            f" {source.amount} AS amount FROM {source.relation}) AS s"
            f' WHERE {accounts}."id" = s.account_id',
            [connection.ops.adapt_datetimefield_value(now)],
        )
