"""Settlement test helpers: stores on a policy whose payable accounts receive redemptions."""

import datetime as dt

import pytest

from dangol.core import clock
from dangol.ledger import services as ledger_services
from dangol.ledger.models import Account
from dangol.places.models import Store
from dangol.settlement import services
from dangol.settlement.models import SettlementPolicy
from tests.factories import StoreFactory

# Tests run "now" on the morning after November 2026 closes, so its cut-offs have passed.
NOW = clock.kst(2026, 12, 1, 9, 0)


def payable(store: Store) -> Account:
    return ledger_services.account_get_or_create(
        owner_type="store", owner_id=store.pk, kind=Account.Kind.STORE_PAYABLE,
        non_negative=False, name=f"{store.name} 정산 예정액",
    )


def redeem(store: Store, amount: int, *, at: dt.datetime, key: str) -> None:
    """Post a voucher redemption of `amount` won into the store's payable, dated `at`,
    then set the clock back to NOW."""
    liability = ledger_services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.VOUCHER_LIABILITY, non_negative=False,
        name="상품권 잔액",
    )
    clock.freeze(at)
    try:
        ledger_services.ledger_transfer(
            idempotency_key=key, kind="voucher_redeem", source=liability,
            destination=payable(store), amount=amount,
        )
    finally:
        clock.freeze(NOW)


@pytest.fixture
def policy(db) -> SettlementPolicy:
    return services.settlement_policy_create(
        name="월 10회", cycles_per_month=10, cutoff_time=dt.time(23, 59), payout_lag_days=1,
        fee_bp=0,
    )


@pytest.fixture
def make_store(policy):
    def make(*, bank: str = "신한은행", number: str = "110-123-451234") -> Store:
        store = StoreFactory()
        services.store_settlement_account_set(
            store=store, policy=policy, bank_name=bank, account_number=number
        )
        payable(store)
        return store

    return make
