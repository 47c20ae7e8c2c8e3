"""Property: after any sequence of grant / withdraw / night events, the consent's state is
what the last relevant event says, and consent_allows_ad agrees with it by day and night."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangol.core import clock
from dangol.core.clock import kst
from dangol.regulars import errors, services
from dangol.regulars.models import Consent, ConsentEvent
from dangol.regulars.rules import ConsentState, consent_allows_ad
from tests.factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db

ACTIONS = st.lists(
    st.sampled_from(["grant", "withdraw", "night_grant", "night_withdraw"]), max_size=12
)
# Minutes of the KST day: both sides of 21:00 and of 08:00 are judged after every step, and
# hypothesis adds minutes drawn from the whole day (the edges of the day among them).
NIGHT_BOUNDARIES = (20 * 60 + 59, 21 * 60, 7 * 60 + 59, 8 * 60)
MINUTES = st.lists(
    st.one_of(st.sampled_from([0, 23 * 60 + 59, *NIGHT_BOUNDARIES]), st.integers(0, 24 * 60 - 1)),
    min_size=1, max_size=8,
)


def is_night_minute(minute: int) -> bool:
    """21:00–08:00 KST, 21:00 included and 08:00 not."""
    return minute >= 21 * 60 or minute < 8 * 60


@settings(
    max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(actions=ACTIONS, minutes=MINUTES)
def test_consent_state_matches_the_last_relevant_event(actions, minutes):
    # Given a customer and a store; the events happen on one morning, and the state is
    # judged the next KST day at the night boundaries and at the drawn minutes
    customer, store = CustomerFactory(), StoreFactory()
    moment = kst(2026, 1, 5, 10, 0)
    next_day = kst(2026, 1, 6)
    judged = sorted({*NIGHT_BOUNDARIES, *minutes})
    ad = night = False
    events = 0
    # When any sequence of grants and withdrawals happens
    for action in actions:
        moment += dt.timedelta(minutes=7)
        clock.freeze(moment)
        if action == "grant":
            services.consent_grant(customer=customer, store=store)
            events += 0 if ad else 1
            ad = True
        elif action == "withdraw":
            services.consent_withdraw(customer=customer, store=store)
            events += (1 if ad else 0) + (1 if night else 0)
            ad = night = False
        elif action == "night_grant":
            if ad:
                services.consent_night_grant(customer=customer, store=store)
                events += 0 if night else 1
                night = True
            else:
                with pytest.raises(errors.NightNeedsAdConsent):
                    services.consent_night_grant(customer=customer, store=store)
        else:
            services.consent_night_withdraw(customer=customer, store=store)
            events += 1 if night else 0
            night = False
        consent = Consent.objects.filter(customer=customer, store=store).first()
        if consent is None:
            assert not ad and not night
            continue
        assert consent.ad_active == ad
        assert consent.night_active == night
        state = ConsentState(
            consent.ad_granted_at, consent.ad_withdrawn_at, consent.night_granted_at,
            consent.night_withdrawn_at,
        )
        # Then, at every judged minute of the next day, an ad may go out by day under the ad
        # consent and at night (21:00 through 07:59 KST) only with the night consent too.
        for minute in judged:
            at = next_day + dt.timedelta(minutes=minute)
            expected = ad and (night or not is_night_minute(minute))
            assert consent_allows_ad(state, at) == expected, (f"{at:%H:%M} KST", ad, night)
        assert ConsentEvent.objects.filter(consent=consent).count() == events
    clock.freeze(None)
