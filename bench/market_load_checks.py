"""The checks after bench/market_load.py's run, on the demo's SQLite file.

Each check prints one line and returns the failures it found:

- `dangol ledger verify` passes (every balance equals its entries, the sum is zero);
- every voucher redemption the POS was told succeeded (a 201) has exactly one row under its
  key, the same row for every answer to that key, and no row has a key nobody sent;
- every voucher's balance is its face value less its redemptions and its refunded balance,
  and equals its liability account in the ledger;
- every coupon claim key answered 201 holds one coupon, the same for every answer, no coupon
  is held by two keys, and every claimed coupon was answered to one key (or its answer was
  lost in a server error, counted apart);
- every coupon redemption answered 200 marked exactly that coupon used, once.
"""

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_checks(*, var_dir: Path, env: dict[str, str], record: Any) -> list[str]:
    """Run every check; return the failures (empty when all pass)."""
    failures: list[str] = []
    verify = subprocess.run(
        [sys.executable, "-m", "dangol", "ledger", "verify"], env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )
    line = (verify.stdout.strip().splitlines() or [""])[0]
    print(f"check ledger verify: exit {verify.returncode} — {line}")
    if verify.returncode != 0:
        failures.append(f"ledger verify: {verify.stdout[-500:]} {verify.stderr[-500:]}")
    with sqlite3.connect(var_dir / "dangol.sqlite3") as db:
        failures += _redemptions(db, record)
        failures += _balances(db)
        failures += _claims(db, record)
        failures += _coupon_redemptions(db, record)
    return failures


def _redemptions(db: sqlite3.Connection, record: Any) -> list[str]:
    failures = []
    rows = dict(db.execute(
        "SELECT idempotency_key, COUNT(*) FROM vouchers_redemption "
        "WHERE idempotency_key LIKE 'api:store:%' GROUP BY idempotency_key"
    ).fetchall())
    ids = dict(db.execute(
        "SELECT idempotency_key, id FROM vouchers_redemption WHERE idempotency_key LIKE 'api:%'"
    ).fetchall())
    sent = set()
    for (store_id, key), answered in record.redemptions.items():
        service_key = f"api:store:{store_id}:{key}"
        sent.add(service_key)
        if len(set(answered)) != 1:
            failures.append(f"redemption key {key}: answered with rows {sorted(set(answered))}")
        if rows.get(service_key) != 1 or ids.get(service_key) != answered[0]:
            failures.append(f"redemption key {key}: {rows.get(service_key, 0)} rows")
    unsent = [key for key in rows if key not in sent]
    if len(unsent) > record.unanswered_redemptions:
        failures.append(f"{len(unsent)} redemption rows nobody was told of "
                        f"({record.unanswered_redemptions} requests unanswered)")
    doubles = sum(1 for count in rows.values() if count > 1)
    print(f"check redemptions: {len(record.redemptions)} acknowledged, "
          f"{sum(len(a) for a in record.redemptions.values())} answers, "
          f"{len(rows)} rows by the API, {doubles} doubles, {len(unsent)} unacknowledged")
    return failures


def _balances(db: sqlite3.Connection) -> list[str]:
    wrong = db.execute(
        """
        SELECT v.code, v.face_value, v.balance, a.balance,
               COALESCE((SELECT SUM(r.amount) FROM vouchers_redemption r
                         WHERE r.voucher_id = v.id), 0),
               COALESCE((SELECT f.balance FROM vouchers_refund f WHERE f.voucher_id = v.id), 0)
        FROM vouchers_voucher v
        LEFT JOIN ledger_account a
          ON a.owner_type = 'voucher' AND a.owner_id = v.id AND a.kind = 'voucher_liability'
        """
    ).fetchall()
    failures = [
        f"voucher {code}: face {face} − redeemed {redeemed} − refunded {refunded} "
        f"≠ balance {balance} (ledger {ledger})"
        for code, face, balance, ledger, redeemed, refunded in wrong
        if not (face - redeemed - refunded == balance == ledger)
    ]
    print(f"check voucher balances: {len(wrong)} vouchers, {len(failures)} wrong")
    return failures


def _claims(db: sqlite3.Connection, record: Any) -> list[str]:
    failures = []
    holder: dict[int, str] = {}
    for (_store_id, key), answered in record.claims.items():
        if len(set(answered)) != 1:
            failures.append(f"claim key {key}: answered with coupons {sorted(set(answered))}")
        for coupon_id in set(answered):
            if coupon_id in holder:
                failures.append(f"coupon {coupon_id} answered to keys {holder[coupon_id]}, {key}")
            holder[coupon_id] = key
    claimed = {row[0] for row in db.execute(
        "SELECT c.id FROM coupons_coupon c JOIN coupons_coupontemplate t ON t.id = c.template_id "
        "WHERE c.source = 'claim' AND t.name = '단골 1,000원 할인'"
    )}
    missing = set(holder) - claimed
    if missing:
        failures.append(f"{len(missing)} acknowledged coupons have no row")
    extra = claimed - set(holder)
    if len(extra) > record.unanswered_claims:
        failures.append(f"{len(extra)} claimed coupons nobody was told of "
                        f"({record.unanswered_claims} claims unanswered)")
    print(f"check coupon claims: {len(record.claims)} keys acknowledged, "
          f"{sum(len(a) for a in record.claims.values())} answers, {len(claimed)} coupons "
          f"claimed, {len(extra)} unacknowledged")
    return failures


def _coupon_redemptions(db: sqlite3.Connection, record: Any) -> list[str]:
    failures = []
    for (store_id, key), answered in record.coupon_redeems.items():
        rows = db.execute(
            "SELECT id, status FROM coupons_coupon WHERE store_id = ? AND redeem_key = ?",
            [store_id, key],
        ).fetchall()
        if len(set(answered)) != 1 or len(rows) != 1 or rows[0][0] != answered[0]:
            failures.append(f"coupon redemption key {key}: answers {answered}, rows {rows}")
    print(f"check coupon redemptions: {len(record.coupon_redeems)} acknowledged, "
          f"{len(failures)} wrong")
    return failures
