"""The set-based posting (`ledger_post_set`) against `ledger_post`, the reference."""

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from dangol.core.clock import kst
from dangol.ledger import services
from dangol.ledger.bulk import LegSource, ledger_post_set
from dangol.ledger.errors import InvalidEntries, UnbalancedTransaction
from dangol.ledger.models import Account, Entry, Transaction
from tests.ledger.conftest import fund, make_account

pytestmark = pytest.mark.django_db

NOW = kst(2026, 6, 1, 12, 0)
STAGE = "test_ledger_stage"
SOURCE = LegSource(relation=STAGE, account="account_id", amount="-owed")


def stage(rows: list[tuple[int, int]]) -> None:
    """Fill a temporary table with (account id, won owed) rows, as a caller's plan."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} "
            "(account_id BIGINT NOT NULL, owed BIGINT NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {STAGE}")  # noqa: S608
        cursor.executemany(f"INSERT INTO {STAGE} VALUES (%s, %s)", rows)  # noqa: S608


def written(key: str, accounts: list[Account]) -> dict[str, Any]:
    posted = Transaction.objects.get(idempotency_key=key)
    return {
        "transaction": {
            field.attname: getattr(posted, field.attname)
            for field in Transaction._meta.concrete_fields
            if field.attname != "id"
        },
        "entries": sorted(
            Entry.objects.filter(transaction=posted).values_list("account_id", "amount")
        ),
        "balances": dict(
            Account.objects.filter(pk__in=[a.pk for a in accounts]).values_list("pk", "balance")
        ),
    }


@pytest.fixture
def payables(cash) -> list[Account]:
    accounts = [make_account(kind=Account.Kind.STORE_PAYABLE) for _ in range(5)]
    for n, account in enumerate(accounts):
        fund(account, 10_000 * (n + 1), key=f"fund-{n}")
    return accounts


@pytest.fixture
def platform() -> list[Account]:
    return [
        make_account(kind=Account.Kind.PAYOUT_CLEARING, non_negative=False),
        make_account(kind=Account.Kind.PLATFORM_FEE_REVENUE, non_negative=False),
    ]


@pytest.mark.parametrize("owed", [[1], [5_000, 1, 30_000], [10_000, 20_000, 30_000, 40_000, 1]])
def test_set_posting_writes_what_ledger_post_writes(frozen_clock, payables, platform, owed):
    frozen_clock(NOW)
    stores = payables[: len(owed)]
    legs = [(account.pk, -amount) for account, amount in zip(stores, owed, strict=True)]
    fees = sum(owed) // 10
    shared = [(platform[0].pk, sum(owed) - fees)] + ([(platform[1].pk, fees)] if fees else [])
    everything = [*payables, *platform]
    outcomes = []
    for way in ("ledger_post", "set"):
        sid = transaction.savepoint()
        if way == "ledger_post":
            by_id = {account.pk: account for account in everything}
            services.ledger_post(
                idempotency_key="payout:1:1", kind="settlement_payout", description="정산 지급",
                metadata={"run": 1}, entries=[(by_id[pk], won) for pk, won in [*legs, *shared]],
            )
        else:
            stage([(account.pk, amount) for account, amount in zip(stores, owed, strict=True)])
            with ledger_post_set(
                idempotency_key="payout:1:1", kind="settlement_payout", legs=legs,
                source=SOURCE, shared=shared, description="정산 지급", metadata={"run": 1},
            ) as posted:
                assert posted.pk is not None
        outcomes.append(written("payout:1:1", everything))
        transaction.savepoint_rollback(sid)

    assert outcomes[1] == outcomes[0]


def test_shared_balances_change_when_the_block_ends(payables, platform):
    legs = [(payables[0].pk, -10_000)]
    stage([(payables[0].pk, 10_000)])

    with ledger_post_set(
        idempotency_key="k", kind="settlement_payout", legs=legs, source=SOURCE,
        shared=[(platform[0].pk, 10_000)],
    ):
        inside = dict(Account.objects.filter(pk__in=[payables[0].pk, platform[0].pk])
                      .values_list("pk", "balance"))
    after = dict(Account.objects.filter(pk__in=[payables[0].pk, platform[0].pk])
                 .values_list("pk", "balance"))

    assert inside == {payables[0].pk: 0, platform[0].pk: 0}
    assert after == {payables[0].pk: 0, platform[0].pk: 10_000}
    replayed = services.ledger_post(
        idempotency_key="k", kind="settlement_payout",
        entries=[(platform[0], 10_000), (payables[0], -10_000)],
    )
    assert replayed.entries.count() == 2


def test_an_error_in_the_block_writes_nothing(payables, platform):
    stage([(payables[0].pk, 10_000)])
    before = (Transaction.objects.count(), dict(Account.objects.values_list("pk", "balance")))

    with pytest.raises(RuntimeError), transaction.atomic(), ledger_post_set(
        idempotency_key="k", kind="settlement_payout", legs=[(payables[0].pk, -10_000)],
        source=SOURCE, shared=[(platform[0].pk, 10_000)],
    ):
        raise RuntimeError("the caller's rows failed")

    assert (Transaction.objects.count(), dict(Account.objects.values_list("pk", "balance"))) \
        == before


def test_a_source_that_differs_from_the_legs_is_refused(payables, platform):
    stage([(payables[0].pk, 10_000), (payables[1].pk, 5_000)])
    before = Transaction.objects.count()

    with pytest.raises(InvalidEntries), transaction.atomic(), ledger_post_set(
        idempotency_key="k", kind="settlement_payout", legs=[(payables[0].pk, -10_000)],
        source=SOURCE, shared=[(platform[0].pk, 10_000)],
    ):
        pass

    assert Transaction.objects.count() == before


@pytest.mark.parametrize(
    ("legs", "shared", "error"),
    [
        ([(1, -1_000)], [(2, 999)], UnbalancedTransaction),
        ([(1, -1_000), (1, 0)], [(2, 1_000)], InvalidEntries),
        ([(1, -1_000)], [(1, 1_000)], InvalidEntries),
        ([(1, -1_000), (1, -1_000)], [(2, 2_000)], InvalidEntries),
        ([(1, -1_000)], [], InvalidEntries),
    ],
)
def test_malformed_legs_are_refused_before_anything_is_written(legs, shared, error):
    with pytest.raises(error), ledger_post_set(
        idempotency_key="k", kind="x", legs=legs, source=SOURCE, shared=shared
    ):
        pass

    assert not Transaction.objects.exists()


def test_a_non_negative_account_cannot_go_below_zero(payables, platform):
    short = make_account(kind=Account.Kind.STORE_PAYABLE, non_negative=True)
    stage([(short.pk, 1)])

    with pytest.raises(IntegrityError), transaction.atomic(), ledger_post_set(
        idempotency_key="k", kind="settlement_payout", legs=[(short.pk, -1)], source=SOURCE,
        shared=[(platform[0].pk, 1)],
    ):
        pass

    short.refresh_from_db()
    assert short.balance == 0
