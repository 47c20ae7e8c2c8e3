"""The one consent rule in each of its forms over the same cases.

`consent_allows_ad` and `opt_in_stands` (Python, the reference), `consent_allows_ad_q` and
`opt_in_stands_q` (the ORM filter) and `consent_allows_ad_sql` and `opt_in_stands_sql` (the
SQL fragment the fan-out and the dispatch compose) must pick the same Consent rows for any
consent and any instant: the quiet-hour boundaries (20:59, 21:00, 07:59, 08:00 KST) and
the very instants of a grant or a withdrawal included. Every row is late for its 2-year
reconfirmation, which must change nothing (silence keeps consent)."""

import datetime as dt

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangol.core.clock import KST, kst
from dangol.regulars.models import Consent
from dangol.regulars.rules import (
    ConsentState,
    OptIn,
    consent_allows_ad,
    consent_allows_ad_q,
    consent_allows_ad_sql,
    opt_in_stands,
    opt_in_stands_q,
    opt_in_stands_sql,
    opt_in_withdrawn,
    opt_in_withdrawn_sql,
    reconfirmation_due_on,
)
from tests.factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db

BASE = kst(2026, 3, 2, 6, 0)  # a Monday before 08:00: three days cross nights and mornings
DAYS = 3
CONFIRMED = BASE - dt.timedelta(days=3 * 365)  # reconfirmation long overdue
BOUNDARIES = [
    dt.datetime.combine(BASE.date() + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=KST)
    for day in range(DAYS) for hour, minute in [(20, 59), (21, 0), (7, 59), (8, 0)]
]

moments = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=DAYS * 24 * 60).map(
        lambda minutes: BASE + dt.timedelta(minutes=minutes)
    ),
)


@st.composite
def consent_states(draw) -> ConsentState:
    ad_granted, ad_withdrawn = draw(moments), draw(moments)
    night_granted, night_withdrawn = draw(moments), draw(moments)
    ad_standing = ad_granted is not None and ad_withdrawn is None
    if night_granted is not None and night_withdrawn is None and not ad_standing:
        # The table's constraint: a standing night opt-in needs a standing ad opt-in.
        night_withdrawn = night_granted
    return ConsentState(ad_granted, ad_withdrawn, night_granted, night_withdrawn)


def _instants(states: list[ConsentState], extra: list[dt.datetime]) -> list[dt.datetime]:
    """The boundaries, every timestamp of the cases and the second before it, and `extra`."""
    stamps = {
        moment for state in states
        for moment in (state.ad_granted_at, state.ad_withdrawn_at, state.night_granted_at,
                       state.night_withdrawn_at)
        if moment is not None
    }
    near = {moment + dt.timedelta(seconds=delta) for moment in stamps for delta in (-1, 0)}
    return sorted({*BOUNDARIES, *near, *extra})


def _sql_rows(store_id: int, condition: tuple[str, list]) -> set[int]:
    sql, params = condition
    table = Consent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT k.id FROM {table} k WHERE k.store_id = %s AND {sql}",  # noqa: S608
            [store_id, *params],
        )
        return {row[0] for row in cursor.fetchall()}


@settings(
    max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    states=st.lists(consent_states(), min_size=1, max_size=8),
    extra=st.lists(moments.filter(lambda moment: moment is not None), max_size=4),
)
def test_python_orm_and_sql_forms_allow_the_same_consents(states, extra):
    with transaction.atomic():
        store = StoreFactory()
        rows = Consent.objects.bulk_create([
            Consent(
                customer=CustomerFactory(), store=store, confirmed_at=CONFIRMED,
                ad_granted_at=state.ad_granted_at, ad_withdrawn_at=state.ad_withdrawn_at,
                night_granted_at=state.night_granted_at,
                night_withdrawn_at=state.night_withdrawn_at,
            )
            for state in states
        ])
        ids = {row.pk: state for row, state in zip(rows, states, strict=True)}
        consents = Consent.objects.filter(store=store)

        for at in _instants(states, extra):
            assert reconfirmation_due_on(CONFIRMED) < at.astimezone(KST).date()
            allowed = {pk for pk, state in ids.items() if consent_allows_ad(state, at)}
            assert set(consents.filter(consent_allows_ad_q(at)).values_list("pk", flat=True)) \
                == allowed, at
            assert _sql_rows(store.pk, consent_allows_ad_sql(at, alias="k")) == allowed, at
            for opt_in in OptIn:
                standing = {pk for pk, state in ids.items() if opt_in_stands(state, opt_in, at)}
                assert set(
                    consents.filter(opt_in_stands_q(opt_in, at)).values_list("pk", flat=True)
                ) == standing, (at, opt_in)
                assert _sql_rows(store.pk, opt_in_stands_sql(opt_in, at, alias="k")) \
                    == standing, (at, opt_in)
                withdrawn = {
                    pk for pk, state in ids.items() if opt_in_withdrawn(state, opt_in, at)
                }
                assert not withdrawn & standing
                assert _sql_rows(store.pk, opt_in_withdrawn_sql(opt_in, at, alias="k")) \
                    == withdrawn, (at, opt_in)
        transaction.set_rollback(True)


def test_a_consent_late_for_reconfirmation_still_allows_ads_in_every_form():
    store = StoreFactory()
    granted = kst(2023, 5, 1, 10, 0)
    consent = Consent.objects.create(
        customer=CustomerFactory(), store=store, ad_granted_at=granted, confirmed_at=granted
    )
    at = kst(2026, 5, 4, 12, 0)  # a year past the reconfirmation that fell due
    assert reconfirmation_due_on(granted) < at.date()

    assert consent_allows_ad(consent, at)
    assert Consent.objects.filter(consent_allows_ad_q(at), pk=consent.pk).exists()
    assert _sql_rows(store.pk, consent_allows_ad_sql(at, alias="k")) == {consent.pk}
