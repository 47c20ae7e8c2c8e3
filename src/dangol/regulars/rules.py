"""Pure rules on ad consent (정보통신망법 §50), free of the database so they can be
tested at every instant."""

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from dangol.core.clock import KST

NIGHT_START_HOUR = 21
NIGHT_END_HOUR = 8
RECONFIRM_YEARS = 2


@dataclass(frozen=True)
class ConsentState:
    """The consent timestamps that decide whether an ad may go out (a Consent row fits)."""

    ad_granted_at: dt.datetime | None
    ad_withdrawn_at: dt.datetime | None
    night_granted_at: dt.datetime | None = None
    night_withdrawn_at: dt.datetime | None = None


def is_night_kst(at: dt.datetime) -> bool:
    """Return whether `at` falls in 21:00–08:00 Korean time (ads need night consent)."""
    hour = at.astimezone(KST).hour
    return hour >= NIGHT_START_HOUR or hour < NIGHT_END_HOUR


def _stands(granted: dt.datetime | None, withdrawn: dt.datetime | None, at: dt.datetime) -> bool:
    return granted is not None and granted <= at and (withdrawn is None or at < withdrawn)


def consent_allows_ad(state: ConsentState, at: dt.datetime) -> bool:
    """Return whether an ad may be sent at `at` under `state`.

    The ad opt-in must have been granted at or before `at` and not withdrawn by then (a
    withdrawal takes effect at its instant); at night (21:00–08:00 KST) the separate night
    opt-in must stand too.
    """
    if not _stands(state.ad_granted_at, state.ad_withdrawn_at, at):
        return False
    if is_night_kst(at):
        return _stands(state.night_granted_at, state.night_withdrawn_at, at)
    return True


def reconfirmation_due_on(confirmed_at: dt.datetime) -> dt.date:
    """Return the KST day the 2-year reconfirmation notice falls due: the same calendar day
    two years on (granted 2024-11-21 → due 2026-11-21; 2024-02-29 → 2026-02-28)."""
    return confirmed_at.astimezone(KST).date() + relativedelta(years=RECONFIRM_YEARS)


def reconfirmation_cutoff(today: dt.date) -> dt.datetime:
    """Return the instant such that a consent last confirmed before it is due on `today`:
    the start of the day after `today` two years ago, KST (on 28 February of a non-leap
    year that is 1 March, so a consent of 29 February falls due that day)."""
    tomorrow = today + dt.timedelta(days=1)
    earlier = tomorrow - relativedelta(years=RECONFIRM_YEARS)
    return dt.datetime.combine(earlier, dt.time(0), tzinfo=KST)
