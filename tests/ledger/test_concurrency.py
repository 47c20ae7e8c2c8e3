"""PostgreSQL: concurrent postings, each thread on its own connection."""

import pytest

from dangol.ledger import services
from dangol.ledger.errors import AlreadyReversed, InsufficientFunds
from dangol.ledger.models import Account, Transaction
from dangol.ledger.selectors import account_balance, ledger_verify
from tests.concurrency import THREADS, run_concurrently
from tests.ledger.conftest import fund, make_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_concurrent_debits_of_a_balance_covering_ten_give_exactly_ten():
    voucher = make_account(name="상품권 잔액")
    store = make_account(kind=Account.Kind.STORE_PAYABLE, non_negative=False)
    fund(voucher, 10_000, key="fund")

    results, refusals = run_concurrently(
        lambda i: services.ledger_transfer(
            idempotency_key=f"redeem-{i}", kind="redeem", source=voucher, destination=store,
            amount=1_000,
        )
    )

    assert len(results) == 10
    assert len(refusals) == THREADS - 10
    assert all(isinstance(exc, InsufficientFunds) for exc in refusals)
    assert account_balance(account=voucher) == 0
    assert account_balance(account=store) == 10_000
    assert ledger_verify().ok


def test_opposite_transfers_between_two_accounts_do_not_deadlock():
    first, second = make_account(), make_account()
    fund(first, 100_000, key="fund-1")
    fund(second, 100_000, key="fund-2")

    def transfer(i: int) -> object:
        source, destination = (first, second) if i % 2 else (second, first)
        return services.ledger_transfer(
            idempotency_key=f"swap-{i}", kind="transfer", source=source,
            destination=destination, amount=1_000 + i,
        )

    results, refusals = run_concurrently(transfer)

    assert len(results) == THREADS and not refusals
    assert account_balance(account=first) + account_balance(account=second) == 200_000
    assert ledger_verify().ok


def test_concurrent_posts_with_one_new_key_post_once_and_return_the_same_transaction():
    voucher = make_account()
    cash = services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.CASH, non_negative=False, name="현금"
    )

    results, refusals = run_concurrently(
        lambda i: services.ledger_transfer(
            idempotency_key="buy-once", kind="voucher_purchase", source=cash,
            destination=voucher, amount=10_000,
        ).pk
    )

    assert not refusals
    assert len(set(results)) == 1
    assert Transaction.objects.count() == 1
    assert account_balance(account=voucher) == 10_000


def test_concurrent_reversals_of_one_transaction_reverse_it_once():
    voucher = make_account()
    cash = services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.CASH, non_negative=False, name="현금"
    )
    original = services.ledger_transfer(
        idempotency_key="buy", kind="voucher_purchase", source=cash, destination=voucher,
        amount=10_000,
    )

    results, refusals = run_concurrently(
        lambda i: services.ledger_reverse(
            transaction=original, idempotency_key=f"cancel-{i}"
        )
    )

    assert len(results) == 1
    assert len(refusals) == THREADS - 1
    assert all(isinstance(exc, AlreadyReversed) for exc in refusals)
    assert account_balance(account=voucher) == 0
    assert ledger_verify().ok
