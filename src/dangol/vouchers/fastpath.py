"""The PostgreSQL fast path of a voucher redemption: `voucher_redeem_fast`, three statements
in one transaction, and their SQL.

Its Python reference is the ORM path in services.py (`_voucher_redeem_orm`, which
`voucher_redeem` takes whenever this path declines); tests/vouchers/test_fastpath.py runs
both over the same cases and holds them equal.
"""

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dangol.accounts.models import User
from dangol.ledger import catalogue
from dangol.ledger.composed import ComposedPosting, account_id_sql, prepared_cursor
from dangol.ledger.models import Account
from dangol.places.models import Store
from dangol.vouchers.errors import VoucherError
from dangol.vouchers.models import LEDGER_OWNER_TYPE, Redemption, Voucher, VoucherProduct
from dangol.vouchers.rules import (
    REDEEM_KIND,
    redeem_check,
    redeem_fee,
    redeem_ledger_key,
    redeem_metadata,
    redemption_audit,
)

# Three statements in one transaction, the same rows and locks as the ORM path:
#
# 1. `_REDEEM_LOCK_SQL` locks the voucher row (FOR UPDATE, as `vouchers_lock`) and reads,
#    beside the voucher, what the checks and the posting need: the product's kind and fee,
#    whether the store accepts it (the `voucher_accepted_at` rule, in SQL), whether the
#    redemption key is taken, and the ids of the three ledger accounts (NULL if not open;
#    the lookups are the ledger's `account_id_sql`). Python runs `redeem_check` and the fee
#    on that, and the ledger's `ComposedPosting` checks the legs and computes the
#    fingerprint. A refusal, a replay or an account that is not open ends the transaction
#    here, having written nothing.
# 2. The ledger's posting (its `posted` and `entries` CTEs: the transaction, ON CONFLICT DO
#    NOTHING on its key, so that a concurrent retry with the same key that committed after
#    statement 1's snapshot is waited for and left alone, and its entries) with this app's
#    rows composed onto it, `_REDEEM_ROWS_SQL`: the redemption, and the amount taken off the
#    voucher's mirrored balance.
#    The audit entry of the redemption is inserted next (`rules.redemption_audit`), before
#    the account rows are locked.
# 3. The ledger's balances statement locks the posting's accounts in primary-key order (as
#    `accounts_lock`) and adds the entries to their stored balances; the database's balance
#    check refuses a non-negative account going below zero.
#
# The account rows are locked last, as the raw SQL of the benchmark does: a store's payable
# and fee rows are shared by every redemption at that store, and whoever holds their locks
# holds them until COMMIT, so the inserts run before they are taken. If statement 2 or 3
# does not do all it should (the key was taken, an account check failed, the liability does
# not match the voucher's mirror), the transaction is rolled back and the ORM path runs in a
# new one, with fresh reads, and answers precisely (a replay, IdempotencyKeyReused,
# InsufficientFunds).


class _FastPathUndone(Exception):
    """Statement 2 or 3 did not do all it should: roll back and leave it to the ORM path."""


def _redeem_lock_sql() -> str:
    voucher_table = Voucher._meta.db_table
    columns = ", ".join(f'v."{f.column}"' for f in Voucher._meta.concrete_fields)
    through = VoucherProduct.accepted_stores.through._meta.db_table
    liability = account_id_sql(
        owner_type="%(voucher_owner)s", owner_id='v."id"', kind="%(liability_kind)s"
    )
    payable = account_id_sql(
        owner_type="%(store_owner)s", owner_id="%(store)s", kind="%(payable_kind)s"
    )
    revenue = account_id_sql(
        owner_type="%(store_owner)s", owner_id="%(store)s", kind="%(revenue_kind)s"
    )
    return (
        f"SELECT {columns}, p.\"kind\", p.\"fee_bp\","  # noqa: S608 (names from models)
        ' COALESCE(p."store_id" = %(store)s OR (p."store_id" IS NULL'
        ' AND p."market_id" = %(market)s'
        f' AND (NOT EXISTS (SELECT 1 FROM {through} AS a WHERE a."voucherproduct_id" = p."id")'
        f'  OR EXISTS (SELECT 1 FROM {through} AS a WHERE a."voucherproduct_id" = p."id"'
        '   AND a."store_id" = %(store)s))), FALSE),'
        f' EXISTS (SELECT 1 FROM {Redemption._meta.db_table} AS r'
        '  WHERE r."idempotency_key" = %(key)s),'
        f" {liability}, {payable}, {revenue}"
        f" FROM {voucher_table} AS v"
        f' JOIN {VoucherProduct._meta.db_table} AS p ON p."id" = v."product_id"'
        ' WHERE v."id" = %(voucher)s FOR UPDATE OF v'
    )


def _redeem_rows_sql() -> str:
    """Return this app's half of statement 2, composed onto the ledger's posting: the
    voucher's mirror and the redemption, and the row the statement returns."""
    posted = ComposedPosting.source
    posted_id = ComposedPosting.transaction_id
    return (
        " mirrored AS ("  # noqa: S608 (names from models)
        f'  UPDATE {Voucher._meta.db_table} AS v SET "balance" = v."balance" - %(amount)s,'
        '   "status" = CASE WHEN v."balance" = %(amount)s THEN %(used)s ELSE %(active)s END,'
        '   "updated_at" = %(updated)s'
        f'  FROM {posted} WHERE v."id" = %(voucher)s RETURNING v."balance", v."status"),'
        " redeemed AS ("
        f'  INSERT INTO {Redemption._meta.db_table} ("voucher_id", "store_id", "staff_id",'
        '   "amount", "fee", "idempotency_key", "ledger_transaction_id", "created_at",'
        '   "updated_at")'
        "  SELECT %(voucher)s, %(store)s, %(staff)s, %(amount)s, %(fee)s, %(key)s,"
        f'   {posted_id}, %(now)s, %(updated)s FROM {posted} RETURNING "id")'
        f' SELECT {posted_id}, redeemed."id", mirrored."balance", mirrored."status",'
        f"  {ComposedPosting.entry_count}"
        f" FROM {posted}, redeemed, mirrored"
    )


_REDEEM_LOCK_SQL = _redeem_lock_sql()
_REDEEM_ROWS_SQL = _redeem_rows_sql()


def voucher_redeem_fast(
    *, voucher: Voucher, store: Store, amount: int, staff: User, idempotency_key: str
) -> Redemption | None:
    """Redeem in three statements in one transaction (PostgreSQL) and return the
    redemption, or None, having written nothing, when the ORM path must decide."""
    try:
        with transaction.atomic():
            return _redeem_statements(
                voucher=voucher, store=store, amount=amount, staff=staff,
                idempotency_key=idempotency_key,
            )
    except (_FastPathUndone, IntegrityError):
        return None


def _redeem_statements(
    *, voucher: Voucher, store: Store, amount: int, staff: User, idempotency_key: str
) -> Redemption | None:
    with prepared_cursor() as cursor:
        cursor.execute(_REDEEM_LOCK_SQL, {
            "voucher": voucher.pk, "store": store.pk, "market": store.market_id,
            "key": idempotency_key, "voucher_owner": LEDGER_OWNER_TYPE,
            "liability_kind": Account.Kind.VOUCHER_LIABILITY,
            "store_owner": catalogue.STORE_OWNER_TYPE,
            "payable_kind": Account.Kind.STORE_PAYABLE,
            "revenue_kind": Account.Kind.PLATFORM_FEE_REVENUE,
        })
        row = cursor.fetchone()
        if row is None:
            return None
        fields = [f.attname for f in Voucher._meta.concrete_fields]
        split = len(fields)
        kind, fee_bp, accepted, replay, liability_id, payable_id, revenue_id = row[split:]
        locked = Voucher.from_db(connection.alias, fields, row[:split])
        if replay or liability_id is None:
            return None
        try:
            redeem_check(voucher=locked, kind=kind, accepted=accepted, amount=amount)
        except VoucherError:
            return None
        fee = redeem_fee(amount, fee_bp)
        legs = [(liability_id, -amount)]
        if amount > fee:
            legs.append((payable_id, amount - fee))
        if fee:
            legs.append((revenue_id, fee))
        if any(account_id is None for account_id, _amount in legs):
            return None
        posting = ComposedPosting(
            idempotency_key=redeem_ledger_key(locked.pk, idempotency_key), kind=REDEEM_KIND,
            legs=legs, description=store.name,
            metadata=redeem_metadata(voucher_id=locked.pk, store_id=store.pk, fee=fee),
        )
        now, updated = posting.now, timezone.now()
        written = posting.write(cursor, rows_sql=_REDEEM_ROWS_SQL, params={
            "now": now, "updated": updated, "voucher": locked.pk,
            "store": store.pk, "staff": staff.pk, "amount": amount, "fee": fee,
            "key": idempotency_key, "used": Voucher.Status.USED, "active": Voucher.Status.ACTIVE,
        })
        if written is None or not posting.complete(written[4]):
            raise _FastPathUndone()
        transaction_id, redemption_id, balance, status, _entries = written
        # Everything Python does is done before the account rows are locked (see above).
        locked.balance, locked.status, locked.updated_at = balance, status, updated
        redemption = Redemption.from_db(
            connection.alias,
            ["id", "voucher_id", "store_id", "staff_id", "amount", "fee", "idempotency_key",
             "ledger_transaction_id", "created_at", "updated_at"],
            [redemption_id, locked.pk, store.pk, staff.pk, amount, fee, idempotency_key,
             transaction_id, now, updated],
        )
        redemption.voucher, redemption.store, redemption.staff = locked, store, staff
        redemption.ledger_transaction = posting.transaction(transaction_id)
        redemption_audit(voucher_id=locked.pk, store_id=store.pk, redemption_id=redemption_id,
                         amount=amount, staff=staff)
        balances = posting.balances_apply(cursor)
    if balances is None or balances[liability_id] != balance:
        raise _FastPathUndone()
    voucher.balance, voucher.status = balance, status
    return redemption
