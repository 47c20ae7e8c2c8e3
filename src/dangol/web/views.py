"""Site-wide pages: the health check, the role-aware home and the operators' console entry."""

import math

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dangol.access.checks import stores_managed_by
from dangol.access.pages import may_on_page, require_for_page
from dangol.access.policy import CONSOLE, MERCHANT_HOME, SETTLEMENT_RUNS_VIEW
from dangol.accounts.models import User
from dangol.core.clock import today_kst
from dangol.coupons.selectors import coupons_redeemed_count, stamps_given_count
from dangol.organisations.selectors import organisation_memberships_of
from dangol.places.selectors import (
    market_counts_by_sido,
    market_list,
    market_memberships_of,
    markets_near,
)
from dangol.regulars.selectors import (
    markets_followed_by,
    new_regulars_count,
    regulars_count,
    stores_followed_by,
)

# The demo's home district, shown when we know nothing about where the visitor is.
DEFAULT_REGION_CODE = "26350"  # 부산광역시 해운대구
NEARBY_LIMIT = 12
FOLLOWED_LIMIT = 30


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Answer 'ok' without touching the database (load balancers, the HTTP benchmark)."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Show each section that applies to whoever is looking.

    Everyone: nearby markets (by distance when ?lat=&lng= is given). A customer: the stores
    they follow. A merchant: their stores. An association or tutor: their markets. An
    operator or auditor: the way into the console.
    """
    user = request.user
    context: dict[str, object] = {}
    is_customer = True
    follower: User | None = None
    if isinstance(user, User):
        context["my_stores"] = list(stores_managed_by(user))
        context["my_markets"] = list(market_memberships_of(user=user))
        context["my_organisations"] = list(organisation_memberships_of(user=user))
        has_role = bool(
            context["my_stores"] or context["my_markets"] or context["my_organisations"]
        )
        # Customers sign in with their phone; staff with only an e-mail are not shown an
        # empty "my regulars" section they would never use.
        is_customer = bool(user.phone) or not has_role
        if is_customer:
            context["followed_stores"] = list(stores_followed_by(customer=user)[:FOLLOWED_LIMIT])
            if context["followed_stores"]:
                follower = user
    context["is_customer"] = is_customer

    position = _position(request)
    if position is not None:
        latitude, longitude = position
        nearest = markets_near(latitude=latitude, longitude=longitude, limit=NEARBY_LIMIT)
        context["markets"] = list(nearest)
        context["markets_basis"] = "position"
    elif follower is not None:
        context["markets"] = list(markets_followed_by(customer=follower)[:NEARBY_LIMIT])
        context["markets_basis"] = "followed"
    else:
        context["markets"] = list(market_list(region=DEFAULT_REGION_CODE)[:NEARBY_LIMIT])
        context["markets_basis"] = "default"
    return render(request, "web/home.html", context)


@require_safe
@login_required
def console(request: HttpRequest) -> HttpResponse:
    """Show an operator or auditor their organisations and the markets per 시도, and the
    way to the settlement runs to those who may see them."""
    require_for_page(request, CONSOLE)
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (login_required, and the console's roles)
    return render(
        request,
        "web/console.html",
        {
            "memberships": list(organisation_memberships_of(user=user)),
            "markets_per_sido": market_counts_by_sido(),
            "can_see_settlement": may_on_page(request, SETTLEMENT_RUNS_VIEW),
        },
    )


def _position(request: HttpRequest) -> tuple[float, float] | None:
    """Return the (latitude, longitude) in the query string, or None if absent or not sane."""
    try:
        latitude = float(request.GET["lat"])
        longitude = float(request.GET["lng"])
    except (KeyError, ValueError):
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


@require_safe
@login_required
def merchant_home(request: HttpRequest) -> HttpResponse:
    """Show each store the merchant runs with today's new regulars, coupons redeemed and
    stamps given, and the counter actions, on one phone screen."""
    require_for_page(request, MERCHANT_HOME)
    stores = list(stores_managed_by(request.user))
    today = today_kst()
    panels = [
        {
            "store": store,
            "new_regulars": new_regulars_count(store=store, day=today),
            "regulars": regulars_count(store=store),
            "coupons_redeemed": coupons_redeemed_count(store=store, day=today),
            "stamps_given": stamps_given_count(store=store, day=today),
        }
        for store in stores
    ]
    return render(request, "web/merchant.html", {"panels": panels, "today": today})
