"""Ledger test helpers: accounts opened through the service, funded through postings."""

import itertools

import pytest

from dangol.ledger import services
from dangol.ledger.models import Account

_owner_ids = itertools.count(1)


def make_account(
    *, kind: str = Account.Kind.VOUCHER_LIABILITY, non_negative: bool = True, name: str = ""
) -> Account:
    """Open a new account with its own owner id."""
    owner_id = next(_owner_ids)
    return services.account_get_or_create(
        owner_type="store", owner_id=owner_id, kind=kind, non_negative=non_negative,
        name=name or f"가게 {owner_id} 계정",
    )


def fund(account: Account, amount: int, *, key: str) -> None:
    """Give `account` `amount` won from the platform's cash clearing account."""
    cash = services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.CASH, non_negative=False,
        name="결제 대행 정산 대기",
    )
    services.ledger_transfer(
        idempotency_key=key, kind="test_funding", source=cash, destination=account, amount=amount
    )


@pytest.fixture
def cash(db) -> Account:
    return services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.CASH, non_negative=False,
        name="결제 대행 정산 대기",
    )
