"""The ad-consent rule (정보통신망법 §50): may this regular receive an ad from this sender at
this instant — in Python and in SQL, side by side, so that there is one rule.

- An opt-in stands at `at` if it was granted at or before `at` and not withdrawn by then (a
  withdrawal takes effect at its instant; an opt-out link withdraws the ad opt-in).
- An ad may go out at `at` if the ad opt-in stands, and at night (21:00–08:00 KST) the
  separate night opt-in stands too.
- A consent due (or late) for its 2-year reconfirmation still stands: the notice is the
  regulars' periodic job, and silence keeps the consent (§50 ⑧), so `confirmed_at` plays
  no part here.

`consent_allows_ad` (and `opt_in_stands`) are the reference, free of the database so they
can be tested at every instant. The set-based forms say the same for many rows at once:
`opt_in_stands_q` / `consent_allows_ad_q` filter Consent rows through the ORM, and
`opt_in_stands_sql` / `consent_allows_ad_sql` are the same conditions as SQL fragments for
the statements that fan a campaign out and dispatch it. `opt_in_withdrawn` /
`opt_in_withdrawn_sql` tell a withdrawn opt-in from one never given (a campaign's counts).
Every caller (selectors, the fan-out, the 08:00 release, the dispatch claim) composes these;
none writes the condition itself. tests/regulars/test_consent_rule.py runs every form over
the same cases.
"""

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any, Protocol

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import Q

from dangol.core.clock import KST

NIGHT_START_HOUR = 21
NIGHT_END_HOUR = 8
RECONFIRM_YEARS = 2


class OptIn(enum.StrEnum):
    """The two opt-ins of a consent: to ads, and to ads at night (it needs the first)."""

    AD = "ad"
    NIGHT = "night"


class ConsentTimes(Protocol):
    """What the rule reads of a consent: its four timestamps (a Consent row, a ConsentState)."""

    @property
    def ad_granted_at(self) -> dt.datetime | None: ...
    @property
    def ad_withdrawn_at(self) -> dt.datetime | None: ...
    @property
    def night_granted_at(self) -> dt.datetime | None: ...
    @property
    def night_withdrawn_at(self) -> dt.datetime | None: ...


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


# --- the rule in Python -----------------------------------------------------------------------


def opt_in_stands(state: ConsentTimes, opt_in: OptIn, at: dt.datetime) -> bool:
    """Return whether `opt_in` of `state` stands at `at`: granted at or before `at` and not
    withdrawn at or before `at`."""
    granted = getattr(state, f"{opt_in}_granted_at")
    withdrawn = getattr(state, f"{opt_in}_withdrawn_at")
    return granted is not None and granted <= at and (withdrawn is None or at < withdrawn)


def opt_in_withdrawn(state: ConsentTimes, opt_in: OptIn, at: dt.datetime) -> bool:
    """Return whether `opt_in` of `state` was withdrawn by `at`: granted at or before `at` and
    withdrawn at or before `at` (a sender's statistics count such a regular as "withdrawn",
    not as one who never consented). A grant after `at` (a re-grant) does not count."""
    granted = getattr(state, f"{opt_in}_granted_at")
    withdrawn = getattr(state, f"{opt_in}_withdrawn_at")
    return granted is not None and granted <= at and withdrawn is not None and withdrawn <= at


def consent_allows_ad(state: ConsentTimes, at: dt.datetime) -> bool:
    """Return whether an ad may be sent at `at` under `state`.

    The ad opt-in must have been granted at or before `at` and not withdrawn by then (a
    withdrawal takes effect at its instant); at night (21:00–08:00 KST) the separate night
    opt-in must stand too.
    """
    if not opt_in_stands(state, OptIn.AD, at):
        return False
    if is_night_kst(at):
        return opt_in_stands(state, OptIn.NIGHT, at)
    return True


# --- the same rule in SQL ---------------------------------------------------------------------


def opt_in_stands_q(opt_in: OptIn, at: dt.datetime, *, prefix: str = "") -> Q:
    """Return the filter "`opt_in` stands at `at`" on Consent rows (`opt_in_stands`).

    `prefix` reaches the Consent through a relation ("consents__" from a User).
    """
    field = f"{prefix}{opt_in}"
    return Q(**{f"{field}_granted_at__lte": at}) & (
        Q(**{f"{field}_withdrawn_at__isnull": True}) | Q(**{f"{field}_withdrawn_at__gt": at})
    )


def consent_allows_ad_q(at: dt.datetime, *, prefix: str = "") -> Q:
    """Return the filter "an ad may be sent at `at`" on Consent rows (`consent_allows_ad`)."""
    allows = opt_in_stands_q(OptIn.AD, at, prefix=prefix)
    if is_night_kst(at):
        allows &= opt_in_stands_q(OptIn.NIGHT, at, prefix=prefix)
    return allows


def opt_in_stands_sql(opt_in: OptIn, at: dt.datetime, *, alias: str) -> tuple[str, list[Any]]:
    """Return the SQL condition "`opt_in` stands at `at`" on the Consent row `alias` (a row
    of NULLs from an outer join does not stand) and its parameters (`opt_in_stands`)."""
    when = connection.ops.adapt_datetimefield_value(at)
    granted, withdrawn = f"{alias}.{opt_in}_granted_at", f"{alias}.{opt_in}_withdrawn_at"
    sql = (
        f"({granted} IS NOT NULL AND {granted} <= %s"
        f" AND ({withdrawn} IS NULL OR {withdrawn} > %s))"
    )
    return sql, [when, when]


def opt_in_withdrawn_sql(opt_in: OptIn, at: dt.datetime, *, alias: str) -> tuple[str, list[Any]]:
    """Return the SQL condition "`opt_in` was withdrawn by `at`" on the Consent row `alias`
    and its parameters (`opt_in_withdrawn`)."""
    when = connection.ops.adapt_datetimefield_value(at)
    granted, withdrawn = f"{alias}.{opt_in}_granted_at", f"{alias}.{opt_in}_withdrawn_at"
    sql = (
        f"({granted} IS NOT NULL AND {granted} <= %s"
        f" AND {withdrawn} IS NOT NULL AND {withdrawn} <= %s)"
    )
    return sql, [when, when]


def consent_allows_ad_sql(at: dt.datetime, *, alias: str) -> tuple[str, list[Any]]:
    """Return the SQL condition "an ad may be sent at `at`" on the Consent row `alias` and
    its parameters (`consent_allows_ad`)."""
    sql, params = opt_in_stands_sql(OptIn.AD, at, alias=alias)
    if is_night_kst(at):
        night, night_params = opt_in_stands_sql(OptIn.NIGHT, at, alias=alias)
        sql, params = f"({sql} AND {night})", [*params, *night_params]
    return sql, params


# --- reconfirmation ---------------------------------------------------------------------------


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
