"""A posting that another app's single SQL statement carries (PostgreSQL).

A hot path (the voucher redemption at the counter) cannot afford `ledger_post`'s round
trips, so it writes its own rows and the ledger's in one statement of data-modifying CTEs.
The ledger's half of that statement is written here, beside the rules it must keep, and the
caller composes its half onto it without knowing the ledger's tables or columns; the ledger
runs both statements, so every write to its tables comes from this module:

    posting = ComposedPosting(idempotency_key=…, kind=…, legs=[(account id, won), …])
    row = posting.write(cursor, rows_sql=MINE, params=my_params)
    #   MINE = "mine AS (INSERT … SELECT {ComposedPosting.transaction_id} … FROM posted)"
    #          " SELECT {ComposedPosting.transaction_id}, {ComposedPosting.entry_count}, …"
    #          " FROM posted, mine"
    if not posting.complete(row[1]): roll back
    balances = posting.balances_apply(cursor)   # None: roll back

What the two statements keep, as `ledger_post` does (tests/ledger/test_composed.py runs
both over the same postings and compares every row and balance):

- The legs are checked in Python first: integers, not zero, within the limit, at least two,
  summing to zero; the transaction row carries the same kind, description, metadata,
  fingerprint and time, and its entries are the legs in the order given.
- The transaction is inserted `ON CONFLICT (idempotency_key) DO NOTHING`: when the key
  exists (a retry, or a concurrent one that committed first) the `posted` CTE is empty, so
  nothing hangs off it, `entry_count` is 0 and the caller must roll back and ask
  `ledger_post`, which replays or refuses.
- `balances_apply` locks the legs' accounts in primary-key order (FOR NO KEY UPDATE, as
  `accounts_lock` does) and adds the legs to their stored balances; the database's
  `balance_nonneg` check refuses a non-negative account going below zero. It runs after
  the inserts, so that accounts shared by many postings are held only until COMMIT.
  It returns None unless every account was updated (an account that does not exist):
  then, too, the caller rolls back.

Both statements are meant to run on `prepared_cursor()`: planned once per connection.
"""

import functools
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.money import format_won
from dangol.ledger.errors import InvalidEntries, UnbalancedTransaction
from dangol.ledger.models import Account, Entry, Transaction
from dangol.ledger.services import MAX_AMOUNT, transaction_fingerprint

Leg = tuple[int, int]

# The names the caller's half of the statement may use: the CTE holding the new transaction
# (one row, or none when the key exists) and the one holding its entries.
POSTED = "posted"
ENTRIES = "entries"

_TRANSACTION_FIELDS = [
    "id", "idempotency_key", "kind", "description", "fingerprint", "reverses_id", "metadata",
    "created_at",
]


def account_id_sql(*, owner_type: str, owner_id: str, kind: str) -> str:
    """Return a scalar subquery: the id of the account of `kind` owned by (`owner_type`,
    `owner_id`), or NULL if it is not open. Each argument is an SQL expression of the
    caller's statement (a placeholder such as `%(store)s`, or a column of its own row)."""
    table = Account._meta.db_table
    return (
        f'(SELECT la."id" FROM {table} AS la WHERE la."owner_type" = {owner_type}'  # noqa: S608
        f' AND la."owner_id" = {owner_id} AND la."kind" = {kind})'
    )


@functools.cache
def _posting_ctes(legs: int) -> str:
    values = ", ".join(
        f"({n}, %(ledger_account_{n})s::bigint, %(ledger_amount_{n})s::bigint)"
        for n in range(legs)
    )
    return (
        f" {POSTED} AS ("  # noqa: S608 (names from the models)
        f'  INSERT INTO {Transaction._meta.db_table} ("idempotency_key", "kind",'
        '   "description", "fingerprint", "reverses_id", "metadata", "created_at")'
        "  VALUES (%(ledger_key)s, %(ledger_kind)s, %(ledger_description)s,"
        "   %(ledger_fingerprint)s, NULL, %(ledger_metadata)s::jsonb, %(ledger_now)s)"
        '  ON CONFLICT ("idempotency_key") DO NOTHING RETURNING "id"),'
        f" {ENTRIES} AS ("
        f'  INSERT INTO {Entry._meta.db_table} ("transaction_id", "account_id", "amount")'
        f'  SELECT {POSTED}."id", g.account_id, g.amount FROM {POSTED}'
        f"  CROSS JOIN (VALUES {values}) AS g (ord, account_id, amount)"
        '  ORDER BY g.ord RETURNING "id")'
    )


@functools.cache
def _statement(ctes: str, rows_sql: str) -> str:
    return f"WITH {ctes}, {rows_sql}"


@functools.cache
def _balances_sql(legs: int) -> str:
    table = Account._meta.db_table
    values = ", ".join(
        f"(%(ledger_account_{n})s::bigint, %(ledger_amount_{n})s::bigint)" for n in range(legs)
    )
    # The subquery locks the rows in id order before the UPDATE can reach any of them (it
    # only updates rows the subquery has returned), so the locks are taken as accounts_lock
    # takes them.
    return (
        f'UPDATE {table} AS a SET "balance" = a."balance" + g.amount,'  # noqa: S608
        ' "updated_at" = %(ledger_now)s'
        f" FROM (VALUES {values}) AS g (account_id, amount),"
        f'  (SELECT l."id" FROM {table} AS l WHERE l."id" IN (SELECT account_id FROM'
        f'   (VALUES {values}) AS h (account_id, amount)) ORDER BY l."id" FOR NO KEY UPDATE)'
        " AS locked"
        ' WHERE a."id" = g.account_id AND locked."id" = a."id"'
        ' RETURNING a."id", a."balance"'
    )


class ComposedPosting:
    """One balanced posting to be written by a caller's statement; see the module docstring.

    The legs are (account id, won into the account), one per account. Raise InvalidEntries
    or UnbalancedTransaction as `ledger_post` would. The posting's time is taken once, from
    dangol's clock, and is `now`.
    """

    source = POSTED
    transaction_id = f'{POSTED}."id"'
    entry_count = f"(SELECT count(*) FROM {ENTRIES})"  # noqa: S608

    def __init__(
        self,
        *,
        idempotency_key: str,
        kind: str,
        legs: Sequence[Leg],
        description: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.legs = _legs_checked(legs)
        self.idempotency_key = idempotency_key
        self.kind = kind
        self.description = description
        self.metadata = metadata or {}
        self.fingerprint = transaction_fingerprint(kind, self.legs, None)
        self.now = clock.now()
        self.ctes = _posting_ctes(len(self.legs))
        self.balances_sql = _balances_sql(len(self.legs))
        self.balances_params: dict[str, Any] = {"ledger_now": self.now}
        for n, (account_id, amount) in enumerate(self.legs):
            self.balances_params[f"ledger_account_{n}"] = account_id
            self.balances_params[f"ledger_amount_{n}"] = amount
        self.params: dict[str, Any] = {
            **self.balances_params,
            "ledger_key": idempotency_key,
            "ledger_kind": kind,
            "ledger_description": description,
            "ledger_fingerprint": self.fingerprint,
            "ledger_metadata": json.dumps(self.metadata),
        }

    def write(self, cursor: Any, *, rows_sql: str, params: dict[str, Any]) -> Any:
        """Run `WITH <the posting's CTEs>, <rows_sql>` on `cursor` with the posting's parameters
        and `params` (whose names must not start with `ledger_`); return its one row, or None.

        `rows_sql` is the caller's CTEs and final SELECT; they may read `posted` (one row,
        column "id") and `entry_count`. Keep `rows_sql` a constant: the statement is
        prepared once per connection and text.
        """
        cursor.execute(_statement(self.ctes, rows_sql), {**self.params, **params})
        return cursor.fetchone()

    def complete(self, entry_count: int | None) -> bool:
        """Return True if the statement inserted the transaction and every entry."""
        return entry_count == len(self.legs)

    def balances_apply(self, cursor: Any) -> dict[int, int] | None:
        """Lock the legs' accounts in primary-key order and add the legs to their stored
        balances; return the new balances by account id, or None if an account was not
        updated (roll back then). Run it after `write`, last before COMMIT."""
        cursor.execute(self.balances_sql, self.balances_params)
        balances = dict(cursor.fetchall())
        if set(balances) != {account_id for account_id, _amount in self.legs}:
            return None
        return balances

    def transaction(self, transaction_id: int) -> Transaction:
        """Return the Transaction the statement inserted with id `transaction_id`."""
        return Transaction.from_db(
            connection.alias,
            _TRANSACTION_FIELDS,
            [transaction_id, self.idempotency_key, self.kind, self.description,
             self.fingerprint, None, self.metadata, self.now],
        )


def _legs_checked(legs: Sequence[Leg]) -> list[Leg]:
    checked: list[Leg] = []
    for account_id, amount in legs:
        if isinstance(account_id, bool) or not isinstance(account_id, int):
            raise InvalidEntries(reason=_("저장된 계정이 아닙니다"))
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidEntries(reason=_("금액은 정수(원)여야 합니다"))
        if amount == 0 or abs(amount) > MAX_AMOUNT:
            raise InvalidEntries(reason=_("금액은 0이 아니고 한도 이내여야 합니다"))
        checked.append((account_id, amount))
    if len(checked) < 2:
        raise InvalidEntries(reason=_("분개가 두 개 이상이어야 합니다"))
    if len({account_id for account_id, _amount in checked}) != len(checked):
        raise InvalidEntries(reason=_("한 계정에 분개가 두 번 있습니다"))
    total = sum(amount for _account, amount in checked)
    if total != 0:
        raise UnbalancedTransaction(total=format_won(total))
    return checked


# --- the cursor these statements run on -------------------------------------------------------


@functools.cache
def _prepared_cursor_class() -> type:
    import psycopg

    class PreparedCursor(psycopg.Cursor[Any]):
        """Binds parameters on the server and has every statement prepared."""

        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            return super().execute(query, params, prepare=True)

    return PreparedCursor


# Explicit prepare=True only: Django's own cursors bind on the client and never prepare.
_PREPARE_ON_REQUEST_ONLY = 2**31


def prepared_cursor() -> Any:
    """Return a Django cursor whose statements PostgreSQL plans once per connection.

    Django binds parameters on the client and turns psycopg's prepared statements off (for
    connection poolers). A hot path's statements run on every request, so they are bound on
    the server and prepared; psycopg keeps them per connection (and forgets them after a
    rollback). The connection's threshold is raised from "never" to "only when asked",
    which leaves Django's cursors as they were. With PgBouncer in transaction mode this
    needs its prepared-statement support (1.21+).
    """
    connection.ensure_connection()
    raw_connection = connection.connection
    if raw_connection.prepare_threshold is None:
        raw_connection.prepare_threshold = _PREPARE_ON_REQUEST_ONLY
    raw = _prepared_cursor_class()(raw_connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)
