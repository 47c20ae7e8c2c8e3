"""Restarting the demo: the seed runs once and never touches the consents of real people."""

import datetime as dt
from io import StringIO

import pytest

from dangol.accounts.models import User
from dangol.core import clock
from dangol.demo.seed import demo_seed
from dangol.places.models import Market, Store
from dangol.regulars.models import Consent, ConsentEvent, Follow
from dangol.regulars.services import (
    consent_withdraw,
    follow_create,
    follow_delete,
    follow_join,
)

pytestmark = pytest.mark.django_db

_serial = iter(range(1000, 10_000))


def _demo_start() -> None:
    """Do what `dangol demo` does to the data at each start (after migrate)."""
    demo_seed(stdout=StringIO())


def _person() -> User:
    return User.objects.create_user(phone=f"+8210555{next(_serial):05d}", name="실제 고객")


def _real_people_join(*, store: Store, market: Market) -> None:
    """Between two starts, real people follow the featured store and the market channel:
    some without any ad consent, some who withdrew while still following, some who
    unfollowed (which withdraws) and followed again."""
    for sender in ({"store": store}, {"market": market}):
        for _ in range(4):
            follow_create(customer=_person(), source=Follow.Source.IMPORT, **sender)
            follow_create(customer=_person(), source=Follow.Source.PAGE, **sender)
        for _ in range(3):
            withdrew, refollowed = _person(), _person()
            with clock.travel(clock.now() - dt.timedelta(minutes=5)):
                follow_join(customer=withdrew, ad=True, night=True, **sender)
                follow_join(customer=refollowed, ad=True, **sender)
                follow_delete(customer=refollowed, **sender)
            consent_withdraw(customer=withdrew, **sender)
            follow_create(customer=refollowed, **sender)


def _consents() -> dict[int, tuple]:
    return {
        row[0]: row
        for row in Consent.objects.values_list(
            "pk", "customer_id", "store_id", "market_id", "ad_granted_at", "ad_withdrawn_at",
            "night_granted_at", "night_withdrawn_at", "confirmed_at", "method", "text",
        )
    }


def test_restarting_the_demo_three_times_leaves_every_consent_as_it_was():
    _demo_start()
    store = Store.objects.get(name="반송수산")
    market = Market.objects.get(stores=store)

    for _start in range(3):
        _real_people_join(store=store, market=market)
        consents, events = _consents(), ConsentEvent.objects.count()

        _demo_start()

        assert _consents() == consents
        assert ConsentEvent.objects.count() == events


def test_restarting_the_demo_seeds_nothing_a_second_time():
    first = demo_seed(stdout=StringIO())

    again = demo_seed(stdout=StringIO())

    assert not first.nothing_created
    assert again.nothing_created, again.created
    assert again.totals == first.totals
    assert (again.market_id, again.featured_store_id) == (
        first.market_id, first.featured_store_id
    )
