"""ledger_post, ledger_transfer, ledger_reverse and account_get_or_create."""

import pytest
from django.db import IntegrityError, connection, transaction

from dangol.ledger import services
from dangol.ledger.errors import (
    AccountMismatch,
    AlreadyReversed,
    IdempotencyConflict,
    ImmutableRecord,
    InsufficientFunds,
    InvalidAccount,
    InvalidEntries,
    UnbalancedTransaction,
)
from dangol.ledger.models import Account, Entry, Transaction
from dangol.ledger.selectors import account_balance, account_balance_from_entries
from tests.ledger.conftest import fund, make_account

pytestmark = pytest.mark.django_db


def test_post_writes_entries_and_updates_balances(cash):
    voucher = make_account()

    posted = services.ledger_post(
        idempotency_key="buy-1", kind="voucher_purchase",
        entries=[(cash, -10_000), (voucher, 10_000)], description="상품권 구매",
    )

    assert sorted(posted.entries.values_list("account_id", "amount")) == sorted(
        [(cash.pk, -10_000), (voucher.pk, 10_000)]
    )
    assert account_balance(account=voucher) == 10_000 == voucher.balance
    assert account_balance(account=cash) == -10_000 == cash.balance
    assert account_balance_from_entries(account=voucher) == 10_000


def test_post_with_several_entries_for_one_account_nets_them(cash):
    voucher = make_account()

    services.ledger_post(
        idempotency_key="k", kind="split",
        entries=[(cash, -5_000), (voucher, 6_000), (voucher, -1_000)],
    )

    assert account_balance(account=voucher) == 5_000
    assert account_balance(account=cash) == -5_000
    assert Entry.objects.filter(account=voucher).count() == 2


def test_post_refuses_unbalanced_entries_and_writes_nothing(cash):
    voucher = make_account()

    with pytest.raises(UnbalancedTransaction) as raised:
        services.ledger_post(
            idempotency_key="bad", kind="x", entries=[(cash, -10_000), (voucher, 9_000)]
        )

    assert "₩1,000" in raised.value.message
    assert not Transaction.objects.exists()
    assert account_balance(account=voucher) == 0


@pytest.mark.parametrize(
    "amounts",
    [[10_000], [0, 0], [1.5, -1.5], [True, -1], ["100", -100]],
    ids=["single", "zero", "float", "bool", "str"],
)
def test_post_refuses_malformed_entries(cash, amounts):
    voucher = make_account()
    accounts = [cash, voucher]

    with pytest.raises(InvalidEntries):
        services.ledger_post(
            idempotency_key="bad", kind="x",
            entries=[(accounts[i], amount) for i, amount in enumerate(amounts)],
        )

    assert not Transaction.objects.exists()


def test_post_refuses_unsaved_account(cash):
    with pytest.raises(InvalidEntries):
        services.ledger_post(
            idempotency_key="bad", kind="x",
            entries=[(cash, -1), (Account(kind=Account.Kind.CASH, name="임시"), 1)],
        )


def test_retry_with_same_key_returns_the_first_transaction(cash):
    voucher = make_account()
    first = services.ledger_post(
        idempotency_key="buy-1", kind="voucher_purchase",
        entries=[(cash, -10_000), (voucher, 10_000)],
    )

    again = services.ledger_post(
        idempotency_key="buy-1", kind="voucher_purchase",
        entries=[(voucher, 10_000), (cash, -10_000)],
    )

    assert again.pk == first.pk
    assert Transaction.objects.count() == 1
    assert account_balance(account=voucher) == 10_000


def test_retry_returns_first_result_even_after_the_balance_is_spent(cash):
    voucher = make_account()
    fund(voucher, 5_000, key="fund")
    spend = services.ledger_transfer(
        idempotency_key="spend", kind="redeem", source=voucher, destination=cash, amount=5_000
    )

    retried = services.ledger_transfer(
        idempotency_key="spend", kind="redeem", source=voucher, destination=cash, amount=5_000
    )

    assert retried.pk == spend.pk
    assert account_balance(account=voucher) == 0


@pytest.mark.parametrize("change", ["amount", "account", "kind"])
def test_key_reuse_with_different_content_is_a_conflict(cash, change):
    voucher, other = make_account(), make_account()
    services.ledger_post(
        idempotency_key="buy-1", kind="voucher_purchase",
        entries=[(cash, -10_000), (voucher, 10_000)],
    )
    kind, target, amount = "voucher_purchase", voucher, 10_000
    if change == "amount":
        amount = 9_000
    elif change == "account":
        target = other
    else:
        kind = "refund"

    with pytest.raises(IdempotencyConflict):
        services.ledger_post(
            idempotency_key="buy-1", kind=kind, entries=[(cash, -amount), (target, amount)]
        )

    assert Transaction.objects.count() == 1
    assert account_balance(account=other) == 0


def test_non_negative_account_cannot_go_below_zero_and_nothing_is_written(cash):
    voucher = make_account(name="고등어 상품권")
    fund(voucher, 3_000, key="fund")

    with pytest.raises(InsufficientFunds) as raised:
        services.ledger_transfer(
            idempotency_key="spend", kind="redeem", source=voucher, destination=cash,
            amount=5_000,
        )

    assert "고등어 상품권" in raised.value.message
    assert "₩3,000" in raised.value.message and "₩5,000" in raised.value.message
    assert not Transaction.objects.filter(idempotency_key="spend").exists()
    assert account_balance(account=voucher) == 3_000
    assert account_balance_from_entries(account=voucher) == 3_000


def test_non_negative_account_may_reach_exactly_zero(cash):
    voucher = make_account()
    fund(voucher, 3_000, key="fund")

    services.ledger_transfer(
        idempotency_key="spend", kind="redeem", source=voucher, destination=cash, amount=3_000
    )

    assert account_balance(account=voucher) == 0


def test_database_refuses_negative_balance_on_non_negative_account():
    voucher = make_account()

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=voucher.pk).update(balance=-1)


def test_reversal_posts_negated_entries_and_links_the_original(cash):
    voucher = make_account()
    original = services.ledger_transfer(
        idempotency_key="buy", kind="voucher_purchase", source=cash, destination=voucher,
        amount=10_000,
    )

    reversal = services.ledger_reverse(
        transaction=original, idempotency_key="buy:cancel", description="구매 취소"
    )

    assert reversal.reverses_id == original.pk
    assert sorted(reversal.entries.values_list("account_id", "amount")) == sorted(
        [(cash.pk, 10_000), (voucher.pk, -10_000)]
    )
    assert account_balance(account=voucher) == 0
    assert account_balance(account=cash) == 0
    assert original.entries.count() == 2


def test_reversal_retry_with_same_key_returns_the_first_reversal(cash):
    voucher = make_account()
    original = services.ledger_transfer(
        idempotency_key="buy", kind="p", source=cash, destination=voucher, amount=1_000
    )
    first = services.ledger_reverse(transaction=original, idempotency_key="buy:cancel")

    again = services.ledger_reverse(transaction=original, idempotency_key="buy:cancel")

    assert again.pk == first.pk
    assert account_balance(account=voucher) == 0


def test_second_reversal_under_another_key_is_refused(cash):
    voucher = make_account()
    original = services.ledger_transfer(
        idempotency_key="buy", kind="p", source=cash, destination=voucher, amount=1_000
    )
    services.ledger_reverse(transaction=original, idempotency_key="buy:cancel")

    with pytest.raises(AlreadyReversed):
        services.ledger_reverse(transaction=original, idempotency_key="buy:cancel-again")

    assert Transaction.objects.count() == 2


def test_reversal_refused_when_value_was_spent(cash):
    voucher = make_account()
    original = services.ledger_transfer(
        idempotency_key="buy", kind="p", source=cash, destination=voucher, amount=1_000
    )
    services.ledger_transfer(
        idempotency_key="spend", kind="redeem", source=voucher, destination=cash, amount=600
    )

    with pytest.raises(InsufficientFunds):
        services.ledger_reverse(transaction=original, idempotency_key="buy:cancel")

    assert account_balance(account=voucher) == 400


def test_reversal_key_reused_for_a_posting_is_a_conflict(cash):
    voucher = make_account()
    original = services.ledger_transfer(
        idempotency_key="buy", kind="p", source=cash, destination=voucher, amount=1_000
    )

    with pytest.raises(IdempotencyConflict):
        services.ledger_reverse(transaction=original, idempotency_key="buy")


def test_entries_cannot_be_changed_or_deleted(cash):
    voucher = make_account()
    posted = services.ledger_transfer(
        idempotency_key="buy", kind="p", source=cash, destination=voucher, amount=1_000
    )
    entry = posted.entries.get(account=voucher)

    entry.amount = 2_000
    with pytest.raises(ImmutableRecord):
        entry.save()
    with pytest.raises(ImmutableRecord):
        entry.delete()
    with pytest.raises(ImmutableRecord):
        Entry.objects.filter(pk=entry.pk).update(amount=5)
    with pytest.raises(ImmutableRecord):
        Entry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(ImmutableRecord):
        posted.save()
    with pytest.raises(ImmutableRecord):
        posted.delete()

    assert Entry.objects.get(pk=entry.pk).amount == 1_000


@pytest.mark.postgres
def test_database_refuses_raw_update_and_delete_of_entries_on_postgresql(cash):
    voucher = make_account()
    posted = services.ledger_transfer(
        idempotency_key="buy", kind="p", source=cash, destination=voucher, amount=1_000
    )
    entry_id = posted.entries.values_list("id", flat=True)[0]

    for sql in ["UPDATE ledger_entry SET amount = 5 WHERE id = %s",
                "DELETE FROM ledger_entry WHERE id = %s"]:
        with pytest.raises(Exception, match="immutable"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [entry_id])

    assert Entry.objects.filter(transaction=posted).count() == 2


def test_account_balance_cannot_be_saved_directly():
    voucher = make_account()

    voucher.balance = 1_000_000
    with pytest.raises(ImmutableRecord):
        voucher.save()
    with pytest.raises(ImmutableRecord):
        voucher.save(update_fields=["balance"])
    voucher.name = "새 이름"
    voucher.save(update_fields=["name", "updated_at"])

    assert account_balance(account=voucher) == 0


def test_account_get_or_create_returns_the_same_account():
    first = services.account_get_or_create(
        owner_type="program", owner_id=7, kind=Account.Kind.PROGRAM_BUDGET, non_negative=True,
        name="디지털 전환 사업 예산",
    )

    again = services.account_get_or_create(
        owner_type="program", owner_id=7, kind=Account.Kind.PROGRAM_BUDGET, non_negative=True,
        name="다른 이름",
    )

    assert again.pk == first.pk
    assert again.name == "디지털 전환 사업 예산"


def test_ownerless_accounts_are_unique_per_kind():
    first = services.account_get_or_create(
        owner_type="platform", owner_id=None, kind=Account.Kind.PLATFORM_FEE_REVENUE,
        non_negative=False, name="플랫폼 수수료",
    )

    again = services.account_get_or_create(
        owner_type="platform", owner_id=None, kind=Account.Kind.PLATFORM_FEE_REVENUE,
        non_negative=False, name="플랫폼 수수료",
    )

    assert again.pk == first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(
            owner_type="platform", owner_id=None, kind=Account.Kind.PLATFORM_FEE_REVENUE,
            name="중복",
        )


def test_account_get_or_create_refuses_a_different_non_negative_flag():
    services.account_get_or_create(
        owner_type="store", owner_id=1, kind=Account.Kind.MESSAGE_CREDIT, non_negative=True,
        name="메시지 충전금",
    )

    with pytest.raises(AccountMismatch):
        services.account_get_or_create(
            owner_type="store", owner_id=1, kind=Account.Kind.MESSAGE_CREDIT,
            non_negative=False, name="메시지 충전금",
        )


def test_account_get_or_create_refuses_unknown_kind():
    with pytest.raises(InvalidAccount):
        services.account_get_or_create(
            owner_type="store", owner_id=1, kind="bitcoin", non_negative=True, name="x"
        )
