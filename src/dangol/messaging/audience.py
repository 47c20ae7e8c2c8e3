"""The audience of a campaign in SQL: who is in it, who may get it and when, the counts the
composer shows and the one `INSERT … SELECT` per channel that makes the deliveries; and the
consent of a delivery's recipient to its sender, re-checked by the 08:00 release (the ORM
filter `consent_stands`) and by the dispatch claim (its SQL twin `consent_sql`).

Audience. A store's campaign goes to its followers (optionally those with one tag); a market
channel's campaign to the channel's own followers (consent is per sender: following a store
of the market does not make one a channel follower — rules.follow_reaches). The audience
query yields one row per customer (a Follow is unique per customer and target), so a customer
following both a store and its market channel gets one copy of each campaign; the unique
constraint (campaign, customer, channel) enforces it.
An ad reaches a follower only with a standing ad consent from the sender at the send instant;
at night (21:00–08:00 KST) followers without a standing night opt-in get a `held` row whose
`release_at` is the next 08:00 KST, which `deliveries_release` re-checks then.

Opt-out tokens are made in SQL: MD5(k ‖ customer id) where k = "<secret>:<campaign>:<channel>:"
and <secret> = SHA-256 of settings.SECRET_KEY and a fixed label. Without SECRET_KEY nobody can
compute a token from the ids, so the 128-bit tokens are unguessable; they are stable for a row.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from dangol.accounts.models import User
from dangol.messaging.models import Campaign, Channel, Delivery
from dangol.regulars.models import Consent, Follow
from dangol.regulars.rules import (
    OptIn,
    is_night_kst,
    opt_in_stands_q,
    opt_in_stands_sql,
    opt_in_withdrawn_sql,
)


@dataclass(frozen=True)
class Audience:
    """The FROM/WHERE text of a campaign's audience and what it needs to decide each row."""

    sql: str  # FROM … WHERE …, rows a (customer_id), u (user), c (consent, LEFT JOIN)
    params: list[Any]
    eligible: str  # SQL boolean: may receive the message at all
    eligible_params: list[Any]
    now_ok: str  # SQL boolean: may receive it now (else held until release_at)
    now_ok_params: list[Any]
    withdrawn: str = "1 = 0"  # SQL boolean: not eligible because the ad opt-in was withdrawn
    withdrawn_params: list[Any] = field(default_factory=list)


def audience_sql(
    *, kind: str, store_id: int | None, market_id: int | None, audience: str,
    tag_id: int | None, at: dt.datetime,
) -> Audience:
    follow, user = Follow._meta.db_table, User._meta.db_table
    consent = Consent._meta.db_table
    tags = Follow.tags.through._meta.db_table
    params: list[Any] = []
    if store_id is not None:
        base = f"SELECT f.customer_id FROM {follow} f WHERE f.store_id = %s"  # noqa: S608
        params.append(store_id)
        if audience == Campaign.Audience.TAG:
            base += f" AND f.id IN (SELECT ft.follow_id FROM {tags} ft WHERE ft.tag_id = %s)"  # noqa: S608
            params.append(tag_id)
        consent_on = "c.store_id = %s"
        params_consent: list[Any] = [store_id]
    else:
        base = f"SELECT f.customer_id FROM {follow} f WHERE f.market_id = %s"  # noqa: S608
        params.append(market_id)
        consent_on = "c.market_id = %s"
        params_consent = [market_id]
    sql = (
        f"FROM ({base}) a JOIN {user} u ON u.id = a.customer_id"  # noqa: S608 (model tables)
        f" LEFT JOIN {consent} c ON c.customer_id = a.customer_id AND {consent_on}"
        f" WHERE u.is_active = %s"
    )
    params += [*params_consent, True]
    if kind != Campaign.Kind.AD:
        return Audience(sql, params, "1 = 1", [], "1 = 1", [])
    # The consent rule of regulars, split in two: without the ad opt-in no row at all;
    # at night, without the night opt-in a row held until 08:00.
    eligible, eligible_params = opt_in_stands_sql(OptIn.AD, at, alias="c")
    now_ok: tuple[str, list[Any]] = ("1 = 1", [])
    if is_night_kst(at):
        now_ok = opt_in_stands_sql(OptIn.NIGHT, at, alias="c")
    withdrawn = opt_in_withdrawn_sql(OptIn.AD, at, alias="c")
    return Audience(sql, params, eligible, eligible_params, *now_ok, *withdrawn)


def _address_sql(channel: str) -> str:
    if channel == Channel.IN_APP:
        return "''"
    if channel == Channel.EMAIL:
        return "COALESCE(u.email, '')"
    return "COALESCE(u.phone, '')"


@dataclass(frozen=True)
class _Counts:
    targeted: int
    eligible: int
    now: int
    with_phone: int
    with_email: int
    withdrawn: int  # not eligible: withdrew the ad opt-in by the send instant


def audience_counts(aud: Audience) -> _Counts:
    elig, now_ok = aud.eligible, aud.now_ok
    sql = (
        f"SELECT COUNT(*),"  # noqa: S608 (built from model tables and fixed text)
        f" COALESCE(SUM(CASE WHEN {elig} THEN 1 ELSE 0 END), 0),"
        f" COALESCE(SUM(CASE WHEN {elig} AND {now_ok} THEN 1 ELSE 0 END), 0),"
        f" COALESCE(SUM(CASE WHEN {elig} AND COALESCE(u.phone, '') <> '' THEN 1 ELSE 0 END), 0),"
        f" COALESCE(SUM(CASE WHEN {elig} AND COALESCE(u.email, '') <> '' THEN 1 ELSE 0 END), 0),"
        f" COALESCE(SUM(CASE WHEN {aud.withdrawn} THEN 1 ELSE 0 END), 0)"
        f" {aud.sql}"
    )
    params = [
        *aud.eligible_params, *aud.eligible_params, *aud.now_ok_params,
        *aud.eligible_params, *aud.eligible_params, *aud.withdrawn_params, *aud.params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return _Counts(*(int(value) for value in row))


def _token_secret() -> str:
    return hashlib.sha256(f"dangol.messaging.opt_out:{settings.SECRET_KEY}".encode()).hexdigest()


def deliveries_insert(
    *, campaign_id: int, aud: Audience, channel: str, stored_channel: str, price: int,
    at: dt.datetime, release: dt.datetime,
) -> int:
    """Insert one Delivery per eligible audience row on `channel` in one statement."""
    table = Delivery._meta.db_table
    address = _address_sql(channel)
    live = Delivery.Status.VISIBLE if channel == Channel.IN_APP else Delivery.Status.QUEUED
    at_db = connection.ops.adapt_datetimefield_value(at)
    release_db = connection.ops.adapt_datetimefield_value(release)
    key = f"{_token_secret()}:{campaign_id}:{stored_channel}:"
    has_address = "" if channel == Channel.IN_APP else f" AND {address} <> ''"
    sql = (
        f"INSERT INTO {table} (campaign_id, customer_id, channel, address, status, price,"  # noqa: S608
        f" release_at, opt_out_token, attempts, provider_id, error, suppressed_reason, refunded,"
        f" created_at, updated_at)"
        f" SELECT %s, a.customer_id, %s, {address},"
        f" CASE WHEN {aud.now_ok} THEN %s ELSE %s END, %s,"
        f" CASE WHEN {aud.now_ok} THEN %s ELSE %s END,"
        f" MD5(%s || CAST(a.customer_id AS TEXT)), 0, '', '', '', %s, %s, %s"
        f" {aud.sql} AND {aud.eligible}{has_address}"
    )
    params = [
        campaign_id, stored_channel, *aud.now_ok_params, live, Delivery.Status.HELD, price,
        *aud.now_ok_params, at_db, release_db, key, False, at_db, at_db,
        *aud.params, *aud.eligible_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def consent_stands(*, at: dt.datetime, night: bool = False) -> Q:
    """Return a Delivery filter: the ad consent from the campaign's sender stands at `at`
    (and the night opt-in too when `night`), by regulars' rule (`opt_in_stands_q`).
    Informational campaigns always pass."""
    stands = opt_in_stands_q(OptIn.AD, at)
    if night:
        stands &= opt_in_stands_q(OptIn.NIGHT, at)
    by_store = Exists(Consent.objects.filter(
        stands, customer=OuterRef("customer_id"), store_id=OuterRef("campaign__store_id"),
    ))
    by_market = Exists(Consent.objects.filter(
        stands, customer=OuterRef("customer_id"), market_id=OuterRef("campaign__market_id"),
    ))
    return Q(campaign__kind=Campaign.Kind.INFO) | by_store | by_market


def consent_sql(*, at: dt.datetime, night: bool) -> tuple[str, list[Any]]:
    """SQL and parameters: the ad opt-in of the delivery's recipient to the campaign's
    sender stands at `at` (and, with `night`, the night opt-in too), by regulars' rule
    (`opt_in_stands_sql`), and no withdrawal of it has been committed since. Aliases d
    (delivery), c (campaign).

    The dispatch claim reads its clock (`at`) before its statements run: a withdrawal
    stamped a moment after that reading but committed before the statement is visible to
    it, and must stop the send — a withdrawal takes effect at its instant, and nothing may
    be sent after it. The Consent row keeps `…_withdrawn_at` only while the opt-in stays
    withdrawn (a re-grant clears it), so a committed withdrawal is one that is not NULL.
    """
    consent = Consent._meta.db_table
    stands, params = opt_in_stands_sql(OptIn.AD, at, alias="k")
    stands = f"{stands} AND k.{OptIn.AD}_withdrawn_at IS NULL"
    if night:
        night_sql, night_params = opt_in_stands_sql(OptIn.NIGHT, at, alias="k")
        night_sql = f"{night_sql} AND k.{OptIn.NIGHT}_withdrawn_at IS NULL"
        stands, params = f"{stands} AND {night_sql}", [*params, *night_params]
    # Table names and fixed fragments only; every value is a parameter.
    sql = (
        f"EXISTS (SELECT 1 FROM {consent} k "  # noqa: S608
        "WHERE k.customer_id = d.customer_id AND "
        "((c.store_id IS NOT NULL AND k.store_id = c.store_id) OR "
        f"(c.market_id IS NOT NULL AND k.market_id = c.market_id)) AND {stands})"
    )
    return sql, params
