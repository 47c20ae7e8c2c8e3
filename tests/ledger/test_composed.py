"""The composed posting (one statement, PostgreSQL) against `ledger_post`, the reference.

Each example opens accounts, then posts the same legs under the same key twice, each time in
a savepoint that is rolled back afterwards: once through `ledger_post`, once through the
composed statements run as a caller runs them. The transaction row (every field but the id),
the entries in order and the balances must be the same, and so must a refusal.
"""

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangol.core import clock
from dangol.core.clock import kst
from dangol.ledger import services
from dangol.ledger.composed import ComposedPosting, account_id_sql, prepared_cursor
from dangol.ledger.errors import InsufficientFunds, InvalidEntries, UnbalancedTransaction
from dangol.ledger.models import Account, Entry, Transaction

pytestmark = pytest.mark.django_db

NOW = kst(2026, 6, 1, 12, 0)
FUNDED = 30_000


def open_accounts(flags: list[bool]) -> list[Account]:
    """Open one account per flag (non-negative or not), each funded with FUNDED won."""
    cash = services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.CASH, non_negative=False,
        name="결제 대행 정산 대기",
    )
    accounts = []
    for n, non_negative in enumerate(flags):
        account = services.account_get_or_create(
            owner_type="composed", owner_id=n,
            kind=Account.Kind.VOUCHER_LIABILITY if non_negative else Account.Kind.STORE_PAYABLE,
            non_negative=non_negative, name=f"계정 {n}",
        )
        services.ledger_transfer(
            idempotency_key=f"fund-{n}", kind="test_funding", source=cash, destination=account,
            amount=FUNDED,
        )
        accounts.append(account)
    return accounts


def composed_run(posting: ComposedPosting) -> int | None:
    """Run the posting as a caller does, with no rows of its own; return the transaction id,
    or None if the key existed."""
    with prepared_cursor() as cursor:
        row = posting.write(
            cursor,
            rows_sql=f"nothing AS (SELECT 1) SELECT {posting.transaction_id},"  # noqa: S608
            f" {posting.entry_count} FROM {posting.source}",
            params={},
        )
        if row is None or not posting.complete(row[1]):
            return None
        assert posting.balances_apply(cursor) is not None
    return int(row[0])


def written(key: str, accounts: list[Account]) -> dict[str, Any]:
    """Return what the posting under `key` wrote, without database ids of its own rows."""
    posted = Transaction.objects.get(idempotency_key=key)
    return {
        "transaction": {
            field.attname: getattr(posted, field.attname)
            for field in Transaction._meta.concrete_fields
            if field.attname != "id"
        },
        "entries": list(
            Entry.objects.filter(transaction=posted).order_by("id").values_list(
                "account_id", "amount"
            )
        ),
        "balances": dict(
            Account.objects.filter(pk__in=[a.pk for a in accounts]).values_list("pk", "balance")
        ),
    }


def both_ways(
    accounts: list[Account], legs: list[tuple[int, int]], *, key: str = "k-1"
) -> tuple[Any, Any]:
    """Post `legs` (account index, won) through ledger_post and the composed statements, each
    in a rolled-back savepoint; return what each wrote, or the refusal's type."""
    outcomes = []
    metadata = {"voucher": 7, "store": 3, "fee": 30}
    for way in ("ledger_post", "composed"):
        sid = transaction.savepoint()
        try:
            if way == "ledger_post":
                services.ledger_post(
                    idempotency_key=key, kind="voucher_redeem", description="반송 수산",
                    metadata=metadata,
                    entries=[(accounts[index], amount) for index, amount in legs],
                )
            else:
                composed_run(ComposedPosting(
                    idempotency_key=key, kind="voucher_redeem", description="반송 수산",
                    metadata=metadata,
                    legs=[(accounts[index].pk, amount) for index, amount in legs],
                ))
            outcomes.append(written(key, accounts))
        except (InsufficientFunds, IntegrityError) as refused:
            outcomes.append(type(refused))
        finally:
            transaction.savepoint_rollback(sid)
    return outcomes[0], outcomes[1]


@st.composite
def postings(draw: st.DrawFn) -> tuple[list[bool], list[tuple[int, int]]]:
    """Draw account flags and a balanced posting over 2–4 distinct accounts among them."""
    flags = draw(st.lists(st.booleans(), min_size=2, max_size=4))
    indexes = draw(st.permutations(range(len(flags))))
    size = draw(st.integers(2, len(flags)))
    amounts = draw(
        st.lists(
            st.integers(-2 * FUNDED, 2 * FUNDED).filter(bool), min_size=size - 1,
            max_size=size - 1,
        )
    )
    last = -sum(amounts)
    if last == 0:
        amounts[0] += 1
        last -= 1
    return flags, list(zip(indexes[:size], [*amounts, last], strict=True))


@pytest.mark.postgres
@settings(
    max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=postings())
def test_composed_posting_writes_what_ledger_post_writes(case):
    flags, legs = case
    clock.freeze(NOW)
    with transaction.atomic():
        accounts = open_accounts(flags)
        short = any(
            accounts[index].non_negative and FUNDED + amount < 0 for index, amount in legs
        )

        reference, composed = both_ways(accounts, legs)

        if short:
            assert (reference, composed) == (InsufficientFunds, IntegrityError)
        else:
            assert composed == reference
            assert composed["transaction"]["fingerprint"] == services.transaction_fingerprint(
                "voucher_redeem", [(accounts[i].pk, amount) for i, amount in legs], None
            )
        transaction.set_rollback(True)


@pytest.mark.postgres
def test_ledger_post_replays_a_composed_posting_and_a_taken_key_writes_nothing(frozen_clock):
    frozen_clock(NOW)
    accounts = open_accounts([True, False, False])
    legs = [(accounts[0].pk, -1_000), (accounts[1].pk, 970), (accounts[2].pk, 30)]
    posting = ComposedPosting(idempotency_key="pos-1", kind="voucher_redeem", legs=legs)
    first = composed_run(posting)

    replayed = services.ledger_post(
        idempotency_key="pos-1", kind="voucher_redeem",
        entries=[(accounts[2], 30), (accounts[0], -1_000), (accounts[1], 970)],
    )
    again = composed_run(
        ComposedPosting(idempotency_key="pos-1", kind="voucher_redeem", legs=legs)
    )

    assert replayed.pk == first
    assert posting.transaction(first).fingerprint == replayed.fingerprint
    assert again is None
    assert Entry.objects.filter(transaction_id=first).count() == 3
    accounts[0].refresh_from_db()
    assert accounts[0].balance == FUNDED - 1_000


@pytest.mark.postgres
def test_account_lookup_finds_an_open_account_and_none_otherwise():
    account = open_accounts([True])[0]
    lookup = account_id_sql(owner_type="%(owner_type)s", owner_id="%(owner_id)s", kind="%(kind)s")
    found = []
    for owner_id in (0, 1):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {lookup}",
                {"owner_type": "composed", "owner_id": owner_id, "kind": account.kind},
            )
            found.append(cursor.fetchone()[0])

    assert found == [account.pk, None]


@pytest.mark.parametrize(
    ("legs", "error"),
    [
        ([(1, -1_000), (2, 999)], UnbalancedTransaction),
        ([(1, -1_000), (2, 1_000), (3, 0)], InvalidEntries),
        ([(1, -1_000), (1, 1_000)], InvalidEntries),
        ([(1, 0)], InvalidEntries),
        ([(1, -1_000), (2, 1_000.0)], InvalidEntries),
        ([(1, -(10**16)), (2, 10**16)], InvalidEntries),
    ],
)
def test_composed_posting_refuses_what_ledger_post_refuses(legs, error):
    with pytest.raises(error):
        ComposedPosting(idempotency_key="bad", kind="x", legs=legs)
