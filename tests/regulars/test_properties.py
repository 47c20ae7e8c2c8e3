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


@settings(
    max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(actions=ACTIONS)
def test_consent_state_matches_the_last_relevant_event(actions):
    customer, store = CustomerFactory(), StoreFactory()
    moment = kst(2026, 1, 5, 10, 0)
    ad = night = False
    events = 0
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
        # Judge the state as it stands at a later daytime and night-time instant.
        assert consent_allows_ad(state, kst(2026, 1, 6, 12, 0)) == ad
        assert consent_allows_ad(state, kst(2026, 1, 6, 23, 0)) == (ad and night)
        assert ConsentEvent.objects.filter(consent=consent).count() == events
    clock.freeze(None)
