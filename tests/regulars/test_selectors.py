"""Counts, growth and who may receive an ad."""

import datetime as dt

import pytest

from dangol.core import clock
from dangol.core.clock import kst
from dangol.regulars import selectors, services
from tests.factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db


def _follow_at(store, moment, **consents):
    clock.freeze(moment)
    customer = CustomerFactory()
    services.follow_join(customer=customer, store=store, **consents)
    return customer


def test_counts_and_new_regulars_by_kst_day(store):
    _follow_at(store, kst(2026, 11, 20, 23, 59), ad=True)
    _follow_at(store, kst(2026, 11, 21, 0, 0), ad=True, night=True)
    _follow_at(store, kst(2026, 11, 21, 13, 0))
    _follow_at(StoreFactory(), kst(2026, 11, 21, 13, 0), ad=True)
    assert selectors.regulars_count(store=store) == 3
    assert selectors.new_regulars_count(store=store, day=dt.date(2026, 11, 21)) == 2
    assert selectors.new_regulars_count(store=store, day=dt.date(2026, 11, 20)) == 1
    counts = selectors.regulars_counts(store=store, today=dt.date(2026, 11, 21))
    assert counts == selectors.RegularsCounts(
        total=3, with_ad_consent=2, with_night_consent=1, new_today=2
    )


def test_counts_take_one_query(store, django_assert_num_queries):
    _follow_at(store, kst(2026, 11, 21, 9, 0), ad=True)
    with django_assert_num_queries(1):
        selectors.regulars_counts(store=store, today=dt.date(2026, 11, 21))


def test_growth_has_thirty_zero_filled_days_from_one_query(store, django_assert_num_queries):
    _follow_at(store, kst(2026, 11, 21, 0, 30))
    _follow_at(store, kst(2026, 11, 21, 22, 0))
    _follow_at(store, kst(2026, 10, 23, 9, 0))
    _follow_at(store, kst(2026, 10, 22, 23, 0))  # 31 days ago: outside the window
    with django_assert_num_queries(1):
        growth = selectors.regulars_daily_growth(store=store, today=dt.date(2026, 11, 21))
    assert len(growth) == 30
    assert growth[0] == (dt.date(2026, 10, 23), 1)
    assert growth[-1] == (dt.date(2026, 11, 21), 2)
    assert sum(count for _day, count in growth) == 3


def test_ad_recipients_at_night_need_night_consent(store):
    day_only = _follow_at(store, kst(2026, 11, 1, 12), ad=True)
    night_too = _follow_at(store, kst(2026, 11, 1, 12), ad=True, night=True)
    _follow_at(store, kst(2026, 11, 1, 12))
    assert set(selectors.ad_recipients(store=store, at=kst(2026, 11, 2, 12))) == {
        day_only, night_too
    }
    assert list(selectors.ad_recipients(store=store, at=kst(2026, 11, 2, 22))) == [night_too]


def test_consent_overview_lists_followed_and_consented_senders(noon, customer, store):
    services.follow_create(customer=customer, store=store)
    other = StoreFactory()
    services.consent_grant(customer=customer, store=other)
    rows = selectors.consent_overview(customer=customer)
    by_store = {row.store: row for row in rows}
    assert by_store[store].following and by_store[store].consent is None
    assert not by_store[other].following and by_store[other].consent.ad_active
