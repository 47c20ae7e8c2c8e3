"""The pure consent rules: when an ad may go out, and when reconfirmation falls due."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangol.core.clock import KST, kst
from dangol.regulars.rules import (
    ConsentState,
    consent_allows_ad,
    is_night_kst,
    reconfirmation_cutoff,
    reconfirmation_due_on,
)

GRANTED = kst(2026, 3, 2, 10, 0)


def test_no_consent_allows_no_ad():
    assert not consent_allows_ad(ConsentState(None, None), kst(2026, 5, 1, 12))


def test_ad_consent_allows_daytime_ads_from_its_instant():
    state = ConsentState(ad_granted_at=GRANTED, ad_withdrawn_at=None)
    assert not consent_allows_ad(state, GRANTED - dt.timedelta(seconds=1))
    assert consent_allows_ad(state, GRANTED)
    assert consent_allows_ad(state, kst(2026, 5, 1, 12))


def test_ad_consent_without_night_consent_refuses_night_ads():
    state = ConsentState(ad_granted_at=GRANTED, ad_withdrawn_at=None)
    assert not consent_allows_ad(state, kst(2026, 5, 1, 21, 0))
    assert not consent_allows_ad(state, kst(2026, 5, 2, 7, 59))
    assert consent_allows_ad(state, kst(2026, 5, 2, 8, 0))


def test_night_consent_allows_night_ads():
    state = ConsentState(GRANTED, None, night_granted_at=GRANTED, night_withdrawn_at=None)
    assert consent_allows_ad(state, kst(2026, 5, 1, 23, 30))


def test_withdrawal_between_two_sends_takes_effect_at_its_instant():
    withdrawn = kst(2026, 5, 1, 12, 0)
    state = ConsentState(ad_granted_at=GRANTED, ad_withdrawn_at=withdrawn)
    assert consent_allows_ad(state, withdrawn - dt.timedelta(microseconds=1))
    assert not consent_allows_ad(state, withdrawn)
    assert not consent_allows_ad(state, withdrawn + dt.timedelta(seconds=1))


def test_night_withdrawal_keeps_daytime_ads():
    night_off = kst(2026, 4, 1, 12)
    state = ConsentState(GRANTED, None, night_granted_at=GRANTED, night_withdrawn_at=night_off)
    assert consent_allows_ad(state, kst(2026, 3, 20, 22))
    assert not consent_allows_ad(state, kst(2026, 4, 20, 22))
    assert consent_allows_ad(state, kst(2026, 4, 20, 12))


@given(st.integers(min_value=0, max_value=24 * 60 - 1))
def test_night_is_21_to_8_kst_at_every_minute(minute):
    moment = dt.datetime(2026, 6, 1, tzinfo=KST) + dt.timedelta(minutes=minute)
    hour = minute // 60
    assert is_night_kst(moment) == (hour >= 21 or hour < 8)
    assert is_night_kst(moment.astimezone(dt.UTC)) == is_night_kst(moment)


@pytest.mark.parametrize(("granted", "due"), [
    (kst(2024, 11, 21, 9), dt.date(2026, 11, 21)),
    (kst(2024, 11, 21, 23, 59), dt.date(2026, 11, 21)),
    (kst(2024, 2, 29, 12), dt.date(2026, 2, 28)),
    (kst(2024, 2, 29, 0, 0), dt.date(2026, 2, 28)),
    (kst(2026, 1, 31, 18), dt.date(2028, 1, 31)),
    (kst(2026, 3, 1, 0, 0), dt.date(2028, 3, 1)),
    (kst(2027, 12, 31, 23, 59), dt.date(2029, 12, 31)),
])
def test_reconfirmation_falls_due_two_years_on_the_same_day(granted, due):
    assert reconfirmation_due_on(granted) == due
    assert granted < reconfirmation_cutoff(due)
    assert granted >= reconfirmation_cutoff(due - dt.timedelta(days=1))


@pytest.mark.parametrize(("granted", "due"), [
    (dt.datetime(2024, 2, 29, 14, 59, tzinfo=dt.UTC), dt.date(2026, 2, 28)),  # 23:59 KST
    (dt.datetime(2024, 2, 29, 15, 0, tzinfo=dt.UTC), dt.date(2026, 3, 1)),  # 3/1 00:00 KST
])
def test_reconfirmation_day_is_counted_in_korean_time(granted, due):
    assert reconfirmation_due_on(granted) == due


@pytest.mark.parametrize(("today", "cutoff"), [
    (dt.date(2026, 2, 27), kst(2024, 2, 28)),
    (dt.date(2026, 2, 28), kst(2024, 3, 1)),  # tomorrow (3/1) − 2 years: 29 Feb is due today
    (dt.date(2028, 2, 28), kst(2026, 2, 28)),  # tomorrow is 29 Feb; − 2 years → 28 Feb
    (dt.date(2028, 2, 29), kst(2026, 3, 1)),
    (dt.date(2026, 12, 31), kst(2025, 1, 1)),
])
def test_reconfirmation_cutoff_is_the_start_of_tomorrow_two_years_back(today, cutoff):
    assert reconfirmation_cutoff(today) == cutoff
