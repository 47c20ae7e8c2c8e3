"""Reads on regions, markets and stores.

Public profiles (regions, markets, active stores) are visible to everyone. Who else may see
an inactive store is access's rule: callers pass `access.checks.stores_visible_to(actor)`
as `visible`, and the filters here narrow it.
"""

import math
from typing import Any

from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Sqrt

from dangol.accounts.models import User
from dangol.places.models import Market, MarketMembership, Product, Region, Store


def region_list(*, level: str | None = None, parent: str | None = None) -> QuerySet[Region]:
    """Return current regions, optionally one level or the children of one 시도."""
    qs = Region.objects.filter(is_active=True)
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs.order_by("code")


def market_list(
    *, region: str | None = None, q: str | None = None, kind: str | None = None
) -> QuerySet[Market]:
    """Return markets with their region, filtered by region code (시도 or 시군구), name, kind."""
    qs = Market.objects.select_related("region", "region__parent")
    if region:
        qs = qs.filter(region__code__startswith=region)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(road_address__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("region_id", "name", "id")


def store_list(
    *, visible: QuerySet[Store] | None = None, market: int | None = None,
    region: str | None = None, category: str | None = None, q: str | None = None,
) -> QuerySet[Store]:
    """Return the stores of `visible` (the stores the actor may see; every active store when
    None) with their market and region, filtered by market, region, category, name."""
    qs = visible if visible is not None else Store.objects.filter(is_active=True)
    qs = qs.select_related("market", "region")
    if market:
        qs = qs.filter(market_id=market)
    if region:
        qs = qs.filter(region__code__startswith=region)
    if category:
        qs = qs.filter(category=category)
    if q:
        sells = Product.objects.filter(store=OuterRef("pk"), name__icontains=q)
        qs = qs.filter(Q(name__icontains=q) | Q(Exists(sells)))
    return qs.order_by("name", "id")


def region_get(*, code: str) -> Region:
    """Return one region by code (current or not), or raise Region.DoesNotExist."""
    return Region.objects.select_related("parent").get(code=code)


def market_get(*, market_id: int) -> Market:
    """Return one market with its region, or raise Market.DoesNotExist."""
    return market_list().get(pk=market_id)


def store_get(*, visible: QuerySet[Store] | None = None, store_id: int) -> Store:
    """Return one store of `visible` (active stores when None) with its market and region,
    or raise Store.DoesNotExist."""
    return store_list(visible=visible).get(pk=store_id)


def market_store_counts(*, market: Market) -> list[dict[str, Any]]:
    """Return the number of active stores per category in `market`."""
    rows = (
        Store.objects.filter(market=market, is_active=True)
        .values("category")
        .annotate(count=Count("id"))
        .order_by("category")
    )
    return [dict(row) for row in rows]


# Kilometres per degree of latitude; good enough to rank markets and print "1.2km".
KM_PER_DEGREE = 111.2


def markets_near(*, latitude: float, longitude: float, limit: int = 12) -> QuerySet[Market]:
    """Return the `limit` markets nearest to a point, nearest first, with `distance_km`.

    The distance is computed in the database on a flat projection (degrees of longitude
    shrunk by cos(latitude)): within a country it ranks markets like the great circle does.
    """
    lat = Cast("latitude", FloatField())
    lng = Cast("longitude", FloatField())
    north = lat - Value(latitude)
    east = (lng - Value(longitude)) * Value(math.cos(math.radians(latitude)))
    return (
        market_list()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .annotate(distance_km=Sqrt(north * north + east * east) * Value(KM_PER_DEGREE))
        .order_by("distance_km", "id")[:limit]
    )


def market_memberships_of(*, user: User) -> QuerySet[MarketMembership]:
    """Return `user`'s roles in markets (association, tutor) with the market and region."""
    return (
        MarketMembership.objects.filter(user=user)
        .select_related("market", "market__region")
        .order_by("market__name", "role")
    )


def market_counts_by_sido() -> list[dict[str, Any]]:
    """Return, in one aggregate query, how many markets each 시도 has."""
    rows = (
        Market.objects.values(sido_code=F("region__parent_id"), sido_name=F("region__parent__name"))
        .annotate(markets=Count("id"))
        .order_by("sido_code")
    )
    return [dict(row) for row in rows]
