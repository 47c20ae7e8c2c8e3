"""Hypothesis: random transfers, reversals and retries keep every invariant of DESIGN.md §5."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from dangol.ledger import services
from dangol.ledger.errors import AlreadyReversed, InsufficientFunds
from dangol.ledger.models import Account, Transaction
from dangol.ledger.selectors import account_balance_from_entries, ledger_verify

pytestmark = pytest.mark.django_db

ACCOUNT_COUNT = 5


class LedgerMachine(RuleBasedStateMachine):
    """Accounts 0–2 are non-negative (voucher balances), 3–4 may go negative (clearing).

    The machine keeps its own model of every balance and compares it with the database
    after each step. Each run happens inside a transaction that is rolled back at the end.
    """

    posted = Bundle("posted")

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.accounts: list[Account] = []
        self.expected: dict[int, int] = {}
        self.reversed: set[int] = set()
        self.posts: dict[str, tuple[int, int, int]] = {}
        self.step = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @initialize()
    def open_accounts(self) -> None:
        for index in range(ACCOUNT_COUNT):
            non_negative = index < 3
            account = services.account_get_or_create(
                owner_type="machine", owner_id=index,
                kind=Account.Kind.VOUCHER_LIABILITY if non_negative else Account.Kind.CASH,
                non_negative=non_negative, name=f"계정 {index}",
            )
            self.accounts.append(account)
            self.expected[account.pk] = 0

    def _key(self) -> str:
        self.step += 1
        return f"step-{self.step}"

    @rule(
        target=posted,
        source=st.integers(0, ACCOUNT_COUNT - 1),
        destination=st.integers(0, ACCOUNT_COUNT - 1),
        amount=st.integers(1, 50_000),
    )
    def transfer(self, source: int, destination: int, amount: int) -> str:
        src, dst = self.accounts[source], self.accounts[destination]
        key = self._key()
        would_go_negative = (
            src.non_negative and source != destination and self.expected[src.pk] < amount
        )
        try:
            services.ledger_transfer(
                idempotency_key=key, kind="transfer", source=src, destination=dst, amount=amount
            )
        except InsufficientFunds:
            assert would_go_negative
            return key
        assert not would_go_negative
        self.expected[src.pk] -= amount
        self.expected[dst.pk] += amount
        self.posts[key] = (src.pk, dst.pk, amount)
        return key

    @rule(key=posted)
    def retry(self, key: str) -> None:
        if key not in self.posts:
            return
        src_pk, dst_pk, amount = self.posts[key]
        first = Transaction.objects.get(idempotency_key=key)
        again = services.ledger_transfer(
            idempotency_key=key, kind="transfer",
            source=Account.objects.get(pk=src_pk), destination=Account.objects.get(pk=dst_pk),
            amount=amount,
        )
        assert again.pk == first.pk

    @rule(key=posted)
    def reverse(self, key: str) -> None:
        if key not in self.posts:
            return
        src_pk, dst_pk, amount = self.posts[key]
        original = Transaction.objects.get(idempotency_key=key)
        try:
            services.ledger_reverse(
                transaction=original, idempotency_key=f"{key}:{self._key()}"
            )
        except AlreadyReversed:
            assert original.pk in self.reversed
            return
        except InsufficientFunds:
            destination = Account.objects.get(pk=dst_pk)
            assert destination.non_negative and src_pk != dst_pk
            assert self.expected[dst_pk] < amount
            return
        assert original.pk not in self.reversed
        self.reversed.add(original.pk)
        self.expected[src_pk] += amount
        self.expected[dst_pk] -= amount

    @invariant()
    def balances_match_model_and_entries(self) -> None:
        if not self.accounts:
            return
        stored = dict(
            Account.objects.filter(pk__in=self.expected).values_list("pk", "balance")
        )
        assert stored == self.expected
        for account in self.accounts:
            assert account_balance_from_entries(account=account) == stored[account.pk]
            if account.non_negative:
                assert stored[account.pk] >= 0
        assert sum(stored.values()) == 0

    @invariant()
    def ledger_verifies(self) -> None:
        report = ledger_verify()
        assert report.ok, report


def test_random_postings_keep_every_ledger_invariant():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=40, stateful_step_count=25, deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
