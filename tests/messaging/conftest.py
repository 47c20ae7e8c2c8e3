"""Shared fixtures of the messaging tests (issue 5). Add fixtures; never remove one.

- `store`, `market`: a store (바다수산) in its market (반송큰시장).
- `customer_factory(**fields)`: a new customer (phone set, e-mail blank unless given).
- `consenting_regular(sender_store=None, *, market=None, night=False, email="",
  granted_at=..., follow=True, customer=None)`: a customer (new unless `customer` is given)
  who follows the sender (the `store` fixture unless `sender_store` or `market` is given) and
  gave ad consent (and the night opt-in if `night`) at `granted_at` (default 2026-01-01 12:00
  KST, daytime, before every frozen test clock).
- `credited_store(amount, sender_store=None)`: grant `amount` won of message credit to the
  store (default: the `store` fixture) from the external account; returns the store.
- `credited_market(amount, sender_market=None)`: the same for a market channel.
- `external_account()` (a plain function): the platform's external clearing account.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.clock import kst
from dangol.ledger.models import Account
from dangol.ledger.services import account_get_or_create
from dangol.places.models import Market, Store
from tests.factories import CustomerFactory, MarketFactory, StoreFactory

CONSENT_AT = kst(2026, 1, 1, 12, 0)


def external_account() -> Account:
    """Return the platform's external clearing account (where test credit comes from)."""
    return account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.EXTERNAL, non_negative=False,
        name="외부 입금",
    )


@pytest.fixture
def market() -> Market:
    return MarketFactory(name="반송큰시장", phone="+82515420000")


@pytest.fixture
def store(market: Market) -> Store:
    return StoreFactory(name="바다수산", market=market, phone="+82515441234")


@pytest.fixture
def customer_factory() -> Callable[..., User]:
    def make(**fields: Any) -> User:
        return CustomerFactory(**fields)

    return make


@pytest.fixture
def consenting_regular(store: Store, customer_factory: Callable[..., User]) -> Callable[..., User]:
    from dangol.regulars.services import consent_grant, consent_night_grant, follow_create

    def make(
        sender_store: Store | None = None, *, market: Market | None = None, night: bool = False,
        email: str = "", granted_at: dt.datetime = CONSENT_AT, follow: bool = True,
        customer: User | None = None,
    ) -> User:
        target_store = None if market is not None else (sender_store or store)
        person = customer or customer_factory(**({"email": email} if email else {}))
        with clock.travel(granted_at):
            if follow:
                follow_create(customer=person, store=target_store, market=market)
            consent_grant(customer=person, store=target_store, market=market)
            if night:
                consent_night_grant(customer=person, store=target_store, market=market)
        return person

    return make


@pytest.fixture
def credited_store(store: Store) -> Callable[..., Store]:
    from dangol.messaging.credit import message_credit_grant

    def credit(amount: int, sender_store: Store | None = None) -> Store:
        target = sender_store or store
        message_credit_grant(
            store=target, amount=amount, from_account=external_account(),
            idempotency_key=f"test-credit-store-{uuid.uuid4().hex}",
        )
        return target

    return credit


@pytest.fixture
def credited_market(market: Market) -> Callable[..., Market]:
    from dangol.messaging.credit import message_credit_grant

    def credit(amount: int, sender_market: Market | None = None) -> Market:
        target = sender_market or market
        message_credit_grant(
            market=target, amount=amount, from_account=external_account(),
            idempotency_key=f"test-credit-market-{uuid.uuid4().hex}",
        )
        return target

    return credit
