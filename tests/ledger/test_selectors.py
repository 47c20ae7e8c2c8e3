"""Balances, statements and ledger_verify."""

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection

from dangol.ledger import services
from dangol.ledger.models import Account
from dangol.ledger.selectors import (
    account_balance,
    account_balance_from_entries,
    account_statement,
    ledger_verify,
)
from tests.ledger.conftest import fund, make_account

pytestmark = pytest.mark.django_db


def _some_activity(cash: Account) -> tuple[Account, Account]:
    voucher, store = make_account(name="반송큰시장 상품권"), make_account(
        kind=Account.Kind.STORE_PAYABLE, non_negative=False, name="싱싱수산 정산 예정액"
    )
    fund(voucher, 30_000, key="buy")
    services.ledger_transfer(
        idempotency_key="redeem-1", kind="redeem", source=voucher, destination=store,
        amount=12_000,
    )
    services.ledger_transfer(
        idempotency_key="redeem-2", kind="redeem", source=voucher, destination=store,
        amount=8_000,
    )
    return voucher, store


def _raw_update(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_statement_lists_entries_newest_first_with_running_balance(cash):
    voucher, _store = _some_activity(cash)

    page = account_statement(account=voucher, page=1, per_page=2)

    assert [(e.amount, e.running_balance) for e in page] == [(-8_000, 10_000), (-12_000, 18_000)]
    assert page.paginator.count == 3
    last = account_statement(account=voucher, page=2, per_page=2)
    assert [(e.amount, e.running_balance) for e in last] == [(30_000, 30_000)]
    assert last[0].transaction.idempotency_key == "buy"


def test_statement_page_has_constant_query_count(cash, django_assert_num_queries):
    voucher, _store = _some_activity(cash)

    with django_assert_num_queries(2):  # count, page (transactions joined)
        page = account_statement(account=voucher, per_page=10)
        [entry.transaction.kind for entry in page]


def test_balance_equals_sum_of_entries(cash):
    voucher, store = _some_activity(cash)

    for account in (voucher, store, cash):
        assert account_balance(account=account) == account_balance_from_entries(account=account)
    assert account_balance(account=store) == 20_000


def test_verify_passes_on_a_consistent_ledger(cash):
    _some_activity(cash)

    report = ledger_verify()

    assert report.ok
    assert report.accounts == 3
    assert report.transactions == 3
    assert report.total_balance == 0


def test_verify_lists_a_corrupted_balance(cash):
    voucher, _store = _some_activity(cash)
    _raw_update("UPDATE ledger_account SET balance = balance + 500 WHERE id = %s", [voucher.pk])

    report = ledger_verify()

    assert not report.ok
    assert [(m.account_id, m.stored, m.from_entries) for m in report.balance_mismatches] == [
        (voucher.pk, 10_500, 10_000)
    ]
    assert report.total_balance == 500


def test_verify_lists_an_unbalanced_transaction(cash):
    voucher, store = _some_activity(cash)
    posted = services.ledger_transfer(
        idempotency_key="redeem-3", kind="redeem", source=voucher, destination=store, amount=1
    )
    # Entries cannot be updated, but a raw insert can still break a transaction's sum.
    _raw_update(
        "INSERT INTO ledger_entry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
        [posted.pk, store.pk, 7],
    )

    report = ledger_verify()

    assert [(u.idempotency_key, u.total, u.entry_count) for u in report.unbalanced_transactions] \
        == [("redeem-3", 7, 3)]
    assert [m.account_id for m in report.balance_mismatches] == [store.pk]


def test_verify_command_prints_summary_and_succeeds(cash, capsys):
    _some_activity(cash)

    call_command("ledger", "verify")

    out = capsys.readouterr().out
    assert "계정 3개" in out and "거래 3건" in out and "OK" in out


def test_verify_command_fails_with_the_difference_listed(cash, capsys):
    voucher, _store = _some_activity(cash)
    _raw_update("UPDATE ledger_account SET balance = 0 WHERE id = %s", [voucher.pk])

    with pytest.raises(CommandError) as raised:
        call_command("ledger", "verify")

    assert raised.value.returncode == 1
    out = capsys.readouterr().out
    assert f"#{voucher.pk} 반송큰시장 상품권" in out
    assert "₩10,000" in out


@pytest.mark.django_db(transaction=True)
def test_dangol_ledger_verify_exits_non_zero_on_a_difference():
    cash = services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.CASH, non_negative=False, name="현금"
    )
    _some_activity(cash)
    execute_from_command_line(["dangol", "ledger", "verify"])  # exits normally when clean
    _raw_update("UPDATE ledger_account SET balance = balance - 1 WHERE id = %s", [cash.pk])

    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["dangol", "ledger", "verify"])

    assert exited.value.code == 1
