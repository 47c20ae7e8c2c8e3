"""Writes to the ledger: open accounts, post balanced transactions, reverse them.

Every function here runs in one database transaction. Postings lock the accounts they touch
through `accounts_lock` (primary-key order, so concurrent postings never deadlock) and keep
each account's stored balance equal to the sum of its entries.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, models
from django.db import transaction as db_transaction
from django.db.models import Case, F, Value, When
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.money import format_won
from dangol.ledger.errors import (
    AccountMismatch,
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAccount,
    InvalidEntries,
    UnbalancedTransaction,
)
from dangol.ledger.models import Account, Entry, Transaction

REVERSAL_KIND = "reversal"
# ₩1,000조: far above any real posting, far below the 64-bit limit of a balance.
MAX_AMOUNT = 10**15

EntrySpec = tuple[Account, int]


def account_get_or_create(
    *, owner_type: str, owner_id: int | None, kind: str, non_negative: bool, name: str
) -> Account:
    """Return the account of kind `kind` owned by (`owner_type`, `owner_id`), opening it at ₩0.

    `owner_id=None` means an account without an owner (the platform's, or a clearing account).
    Raise InvalidAccount for an unknown kind and AccountMismatch if the account exists with
    a different `non_negative` flag. An existing account keeps its name.
    """
    if kind not in Account.Kind.values:
        raise InvalidAccount(reason=kind)
    if not name:
        raise InvalidAccount(reason=_("계정명이 비어 있습니다"))
    account, _created = Account.objects.get_or_create(
        owner_type=owner_type,
        owner_id=owner_id,
        kind=kind,
        defaults={"name": name, "non_negative": non_negative},
    )
    if account.non_negative != non_negative:
        raise AccountMismatch(account=account.name)
    return account


def accounts_lock(ids: Iterable[int]) -> dict[int, Account]:
    """Lock the accounts `ids` in primary-key order and return them, freshly read, by id.

    Call inside a transaction; the locks last until it ends. Every posting locks through
    here, so two postings over the same accounts queue instead of deadlocking. SQLite
    ignores the row lock: its IMMEDIATE transactions already serialise writers.
    Raise InvalidEntries if an account does not exist.
    """
    wanted = sorted(set(ids))
    accounts = {
        account.pk: account
        for account in Account.objects.select_for_update(no_key=True)
        .filter(pk__in=wanted)
        .order_by("pk")
    }
    if len(accounts) != len(wanted):
        raise InvalidEntries(reason=_("없는 계정이 있습니다"))
    return accounts


def ledger_post(
    *,
    idempotency_key: str,
    kind: str,
    entries: Sequence[EntrySpec],
    description: str = "",
    metadata: dict[str, Any] | None = None,
) -> Transaction:
    """Post a balanced transaction of `entries`, (account, won) pairs, and return it.

    A retry with the same `idempotency_key` and the same kind and entries returns the first
    transaction without posting again; raise IdempotencyConflict if the key was used for
    different content. Raise InvalidEntries for fewer than two entries, zero or non-integer
    amounts, UnbalancedTransaction if the amounts do not sum to zero and InsufficientFunds if
    a non-negative account would go below zero (then nothing is written). After a new
    posting the given Account instances carry their new balances.
    """
    checked = _entries_check(entries)
    posted, balances = _post(
        idempotency_key=idempotency_key,
        kind=kind,
        legs=[(account.pk, amount) for account, amount in checked],
        description=description,
        metadata=metadata or {},
    )
    for account, _amount in checked:
        if account.pk in balances:
            account.balance = balances[account.pk]
    return posted


def ledger_transfer(
    *,
    idempotency_key: str,
    kind: str,
    source: Account,
    destination: Account,
    amount: int,
    description: str = "",
    metadata: dict[str, Any] | None = None,
) -> Transaction:
    """Move `amount` won (> 0) from `source` to `destination`; see `ledger_post`."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidEntries(reason=_("이체 금액은 0보다 큰 정수(원)여야 합니다"))
    return ledger_post(
        idempotency_key=idempotency_key,
        kind=kind,
        entries=[(source, -amount), (destination, amount)],
        description=description,
        metadata=metadata,
    )


def ledger_reverse(
    *, transaction: Transaction, idempotency_key: str, description: str = ""
) -> Transaction:
    """Post the negation of `transaction`, linked to it by `reverses`, and return it.

    A retry with the same key returns the first reversal. Raise AlreadyReversed if the
    transaction was reversed under another key, and InsufficientFunds if undoing it would
    take a non-negative account below zero (value already spent).
    """
    legs = [
        (account_id, -amount)
        for account_id, amount in transaction.entries.order_by("id").values_list(
            "account_id", "amount"
        )
    ]
    posted, _balances = _post(
        idempotency_key=idempotency_key,
        kind=REVERSAL_KIND,
        legs=legs,
        description=description,
        metadata={"reverses": transaction.idempotency_key},
        reverses=transaction,
    )
    return posted


def _entries_check(entries: Sequence[EntrySpec]) -> list[EntrySpec]:
    """Return `entries` if they form a balanced posting; raise InvalidEntries or
    UnbalancedTransaction saying what is wrong."""
    checked: list[EntrySpec] = []
    for item in entries:
        try:
            account, amount = item
        except (TypeError, ValueError):
            raise InvalidEntries(reason=_("분개는 (계정, 금액) 쌍이어야 합니다")) from None
        if not isinstance(account, Account) or account.pk is None:
            raise InvalidEntries(reason=_("저장된 계정이 아닙니다"))
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidEntries(reason=_("금액은 정수(원)여야 합니다"))
        if amount == 0 or abs(amount) > MAX_AMOUNT:
            raise InvalidEntries(reason=_("금액은 0이 아니고 한도 이내여야 합니다"))
        checked.append((account, amount))
    if len(checked) < 2:
        raise InvalidEntries(reason=_("분개가 두 개 이상이어야 합니다"))
    total = sum(amount for _account, amount in checked)
    if total != 0:
        raise UnbalancedTransaction(total=format_won(total))
    return checked


def transaction_fingerprint(
    kind: str, legs: list[tuple[int, int]], reverses_id: int | None
) -> str:
    """Return a hash of what a posting does, independent of the order of its entries.

    Public so that bulk writers (a settlement run) store the fingerprint ledger_post would,
    and a later ledger_post retry with the same key replays instead of conflicting.
    """
    content = {"kind": kind, "entries": sorted(legs), "reverses": reverses_id}
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def _replayed(existing: Transaction, *, fingerprint: str) -> Transaction:
    """Return `existing` for a retry; raise IdempotencyConflict if the content differs."""
    if existing.fingerprint != fingerprint:
        raise IdempotencyConflict(key=existing.idempotency_key)
    return existing


def _post(
    *,
    idempotency_key: str,
    kind: str,
    legs: list[tuple[int, int]],
    description: str,
    metadata: dict[str, Any],
    reverses: Transaction | None = None,
) -> tuple[Transaction, dict[int, int]]:
    """Post checked `legs`, (account id, won); return the transaction and the new balances
    of the accounts it changed (empty for a replayed retry)."""
    fingerprint = transaction_fingerprint(kind, legs, reverses.pk if reverses else None)
    deltas: dict[int, int] = defaultdict(int)
    for account_id, amount in legs:
        deltas[account_id] += amount
    try:
        with db_transaction.atomic():
            accounts = accounts_lock(deltas)
            # Checked under the locks: a concurrent post with the same key and accounts has
            # committed by now, so the retry sees it instead of failing on the unique key.
            existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replayed(existing, fingerprint=fingerprint), {}
            if reverses is not None and Transaction.objects.filter(reverses=reverses).exists():
                raise AlreadyReversed(key=reverses.idempotency_key)
            balances = {pk: accounts[pk].balance + delta for pk, delta in deltas.items()}
            for pk, delta in deltas.items():
                account = accounts[pk]
                if account.non_negative and balances[pk] < 0:
                    raise InsufficientFunds(
                        account=account.name,
                        balance=format_won(account.balance),
                        amount=format_won(-delta),
                    )
            posted = Transaction.objects.create(
                idempotency_key=idempotency_key,
                kind=kind,
                description=description,
                fingerprint=fingerprint,
                reverses=reverses,
                metadata=metadata,
            )
            changed = {pk: delta for pk, delta in deltas.items() if delta != 0}
            if changed:
                Account.objects.filter(pk__in=changed).update(
                    balance=F("balance")
                    + Case(
                        *(When(pk=pk, then=Value(delta)) for pk, delta in changed.items()),
                        output_field=models.BigIntegerField(),
                    ),
                    updated_at=clock.now(),
                )
            Entry.objects.bulk_create(
                Entry(transaction=posted, account_id=account_id, amount=amount)
                for account_id, amount in legs
            )
    except IntegrityError:
        # A concurrent post over other accounts won the race for the key (or reversed the
        # same transaction first); report what it did.
        existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, fingerprint=fingerprint), {}
        if reverses is not None and Transaction.objects.filter(reverses=reverses).exists():
            raise AlreadyReversed(key=reverses.idempotency_key) from None
        raise
    return posted, {pk: balances[pk] for pk in changed}
