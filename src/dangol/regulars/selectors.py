"""Reads on follows, consents and a store's regulars.

Merchant reads take a store the interface has already checked with access
(`access.checks.store_for_manager`); customer reads take the customer and return only
their own rows.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.clock import KST
from dangol.places.models import Market, Post, Product, Store
from dangol.places.selectors import market_list, store_list
from dangol.regulars.models import Consent, Follow, RegularsImport, Tag
from dangol.regulars.rules import OptIn, consent_allows_ad_q, opt_in_stands_q


def stores_followed_by(*, customer: User) -> QuerySet[Store]:
    """Return the active stores `customer` follows, most recently followed first."""
    return (
        Store.objects.filter(follows__customer=customer, is_active=True)
        .select_related("market")
        .order_by("-follows__created_at", "id")
    )


def follower_count(*, store: Store) -> int:
    """Return how many customers follow `store`."""
    return store.follows.count()


def markets_followed_by(*, customer: User) -> QuerySet[Market]:
    """Return the markets `customer` follows or where a store they follow trades."""
    followed = Q(follows__customer=customer) | Q(
        stores__follows__customer=customer, stores__is_active=True
    )
    return market_list().filter(pk__in=Market.objects.filter(followed).values("pk"))


def _store_page_version_sql() -> str:
    store, market = Store._meta.db_table, Market._meta.db_table
    product, post, follow = Product._meta.db_table, Post._meta.db_table, Follow._meta.db_table
    return (
        f"SELECT s.updated_at, m.updated_at,"  # noqa: S608 (table names from models only)
        f" (SELECT MAX(updated_at) FROM {product} WHERE store_id = s.id),"
        f" (SELECT COUNT(*) FROM {product} WHERE store_id = s.id),"
        f" (SELECT MAX(updated_at) FROM {post} WHERE store_id = s.id AND published_at <= %s),"
        f" (SELECT COUNT(*) FROM {post} WHERE store_id = s.id AND published_at <= %s),"
        f" (SELECT COUNT(*) FROM {follow} WHERE store_id = s.id)"
        f" FROM {store} s LEFT JOIN {market} m ON m.id = s.market_id"
        f" WHERE s.id = %s AND s.is_active = %s"
    )


def store_page_version(*, store_id: int) -> str | None:
    """Return a fingerprint of everything the public page of store `store_id` shows, or
    None if anonymous visitors may not see it.

    One query: the store's and its market's last change, its products' and published
    posts' last change and counts, and its follower count. Any edit through the services
    (which all touch `updated_at`), a deletion, a post reaching its publication time or a
    new regular changes the fingerprint, so a page cached under it is never stale. Plain
    SQL because this runs on every anonymous view of a store page, where building the
    same query with the ORM cost more than running it.
    """
    now = connection.ops.adapt_datetimefield_value(clock.now())
    with connection.cursor() as cursor:
        cursor.execute(_store_page_version_sql(), [now, now, store_id, True])
        row = cursor.fetchone()
    if row is None:
        return None
    return "|".join("" if value is None else str(value) for value in row)


# --- a customer's own follows and consents ---------------------------------------------------


def is_following(
    *, customer: User, store: Store | None = None, market: Market | None = None
) -> bool:
    """Return whether `customer` follows `store` (or `market`'s channel)."""
    return Follow.objects.filter(customer=customer, store=store, market=market).exists()


def follows_of(*, customer: User) -> QuerySet[Follow]:
    """Return `customer`'s follows (stores and market channels), most recent first."""
    return (
        Follow.objects.filter(customer=customer)
        .select_related("store", "store__market", "market")
        .order_by("-created_at", "-id")
    )


def consents_with_history(*, customer: User) -> QuerySet[Consent]:
    """Return every consent record of `customer` (standing or withdrawn) with its sender and
    its whole history of events, oldest first."""
    return (
        Consent.objects.filter(customer=customer)
        .select_related("store", "market")
        .prefetch_related("events")
        .order_by("created_at", "id")
    )


def consent_of(
    *, customer: User, store: Store | None = None, market: Market | None = None
) -> Consent | None:
    """Return `customer`'s consent record for one sender, or None."""
    return Consent.objects.filter(customer=customer, store=store, market=market).first()


@dataclass
class SenderConsent:
    """One sender on the customer's consent page: whether they follow it and the consent."""

    store: Store | None
    market: Market | None
    following: bool
    consent: Consent | None

    @property
    def sender(self) -> Store | Market:
        sender = self.store or self.market
        assert sender is not None  # noqa: S101 (one of the two, by construction)
        return sender


def ad_consent_stands_anywhere(*, customer: User) -> bool:
    """Return whether `customer` still lets any sender send them ads."""
    return any(
        consent.ad_active for consent in Consent.objects.filter(customer=customer)
    )


def consent_overview(*, customer: User) -> list[SenderConsent]:
    """Return every sender `customer` follows or has a consent record for, with both.

    Two queries whatever the number of senders.
    """
    rows: dict[tuple[str, int], SenderConsent] = {}
    for follow in follows_of(customer=customer):
        key = ("store", follow.store_id) if follow.store_id else ("market", follow.market_id or 0)
        rows[key] = SenderConsent(
            store=follow.store, market=follow.market, following=True, consent=None
        )
    consents = Consent.objects.filter(customer=customer).select_related(
        "store", "store__market", "market"
    ).order_by("-updated_at", "-id")
    for consent in consents:
        key = (
            ("store", consent.store_id) if consent.store_id
            else ("market", consent.market_id or 0)
        )
        row = rows.get(key)
        if row is None:
            rows[key] = SenderConsent(
                store=consent.store, market=consent.market, following=False, consent=consent
            )
        else:
            row.consent = consent
    return list(rows.values())


# --- who may receive an ad --------------------------------------------------------------------


def ad_recipients(
    *, store: Store | None = None, market: Market | None = None, at: dt.datetime
) -> QuerySet[User]:
    """Return the customers to whom `store` (or `market`'s channel) may send an ad at `at`:
    an ad opt-in granted by then and not withdrawn by then, and at night (21:00–08:00 KST)
    the night opt-in as well (`rules.consent_allows_ad_q`).
    """
    if (store is None) == (market is None):
        raise ValueError("name exactly one sender: a store or a market")
    consents = Consent.objects.filter(consent_allows_ad_q(at), store=store, market=market)
    return User.objects.filter(
        is_active=True, pk__in=consents.values("customer_id")
    ).order_by("pk")


# --- a store's regulars, for its owner and staff ----------------------------------------------


def _consent_exists(*, night: bool) -> Exists:
    """Whether the regular's ad opt-in (with `night`, and the night opt-in) to the store
    stands now."""
    now = clock.now()
    stands = opt_in_stands_q(OptIn.AD, now)
    if night:
        stands &= opt_in_stands_q(OptIn.NIGHT, now)
    return Exists(
        Consent.objects.filter(stands, customer=OuterRef("customer_id"), store=OuterRef("store_id"))
    )


def regulars_of(*, store: Store, tag_id: int | None = None) -> QuerySet[Follow]:
    """Return `store`'s regulars, newest first, each with its customer, its tags and
    whether the customer's ad (`has_ad_consent`) and night (`has_night_consent`) opt-ins
    stand. Constant queries whatever the page size (one for the rows, one for tags)."""
    qs = (
        Follow.objects.filter(store=store)
        .select_related("customer")
        .prefetch_related("tags")
        .annotate(
            has_ad_consent=_consent_exists(night=False),
            has_night_consent=_consent_exists(night=True),
        )
        .order_by("-created_at", "-id")
    )
    if tag_id is not None:
        qs = qs.filter(tags__pk=tag_id)
    return qs


def regulars_consents(*, store: Store, customer_ids: list[int]) -> dict[int, Consent]:
    """Return `store`'s consent records of the given customers, by customer id."""
    return {
        consent.customer_id: consent
        for consent in Consent.objects.filter(store=store, customer_id__in=customer_ids)
    }


def _day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=KST)
    return start, start + dt.timedelta(days=1)


def regulars_count(*, store: Store) -> int:
    """Return how many regulars `store` has."""
    return Follow.objects.filter(store=store).count()


def new_regulars_count(*, store: Store, day: dt.date) -> int:
    """Return how many customers became regulars of `store` on `day` (KST)."""
    start, end = _day_range(day)
    return Follow.objects.filter(store=store, created_at__gte=start, created_at__lt=end).count()


@dataclass(frozen=True)
class RegularsCounts:
    total: int
    with_ad_consent: int
    with_night_consent: int
    new_today: int


def regulars_counts(*, store: Store, today: dt.date | None = None) -> RegularsCounts:
    """Return `store`'s regulars counted four ways, in one aggregate query."""
    start, end = _day_range(today or clock.today_kst())
    row = Follow.objects.filter(store=store).aggregate(
        total=Count("pk"),
        with_ad=Count("pk", filter=Q(_consent_exists(night=False))),
        with_night=Count("pk", filter=Q(_consent_exists(night=True))),
        new_today=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
    )
    return RegularsCounts(
        total=row["total"], with_ad_consent=row["with_ad"],
        with_night_consent=row["with_night"], new_today=row["new_today"],
    )


def regulars_daily_growth(
    *, store: Store, days: int = 30, today: dt.date | None = None
) -> list[tuple[dt.date, int]]:
    """Return (day, new regulars) for the last `days` KST days up to `today`, oldest first,
    zero-filled, from one aggregate query."""
    last = today or clock.today_kst()
    first = last - dt.timedelta(days=days - 1)
    start, _end = _day_range(first)
    _start, end = _day_range(last)
    rows = (
        Follow.objects.filter(store=store, created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=KST))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {row["day"]: row["count"] for row in rows}
    return [
        (first + dt.timedelta(days=n), counts.get(first + dt.timedelta(days=n), 0))
        for n in range(days)
    ]


def tags_of(*, store: Store) -> QuerySet[Tag]:
    """Return `store`'s tags with how many regulars carry each."""
    return Tag.objects.filter(store=store).annotate(regulars=Count("follows")).order_by("name")


def store_search(*, q: str) -> QuerySet[Store]:
    """Return active stores whose name or products match `q`, with their market."""
    return store_list(q=q)



def regulars_imports_of(*, store: Store) -> QuerySet[RegularsImport]:
    """Return the customer-list imports of `store`, newest first, without the files."""
    return RegularsImport.objects.filter(store=store).defer("data").order_by("-created_at", "-id")


def regulars_import_of(*, store: Store, import_id: int) -> RegularsImport | None:
    """Return import `import_id` if it is one of `store`'s, else None."""
    return regulars_imports_of(store=store).filter(pk=import_id).first()
