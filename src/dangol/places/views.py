"""Public pages for browsing places: market search, a region, a market. (A store's page
shows its regulars and the follow button, so it lives in regulars.)

Views stay thin: they parse the request, call the selectors and render. Each page runs a
small constant number of queries whatever the number of markets or stores it lists.
"""

import re

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.views.decorators.http import require_safe

from dangol.access.checks import stores_visible_to
from dangol.places import selectors
from dangol.places.models import Market, Region, Store

StrOrPromise = str | Promise

MARKETS_PER_PAGE = 30
_SIDO_CODE = re.compile(r"^[0-9]{2}$")
_REGION_CODE = re.compile(r"^(?:[0-9]{2}|[0-9]{5})$")


@require_safe
def market_list(request: HttpRequest) -> HttpResponse:
    """Search markets by name or address (?q=) within one 시도 (?sido=), 30 to a page."""
    q = request.GET.get("q", "").strip()[:100]
    sido = request.GET.get("sido", "").strip()
    if not _SIDO_CODE.match(sido):
        sido = ""
    sidos = list(selectors.region_list(level=Region.Level.SIDO))
    markets = selectors.market_list(region=sido or None, q=q or None)
    return render(
        request,
        "places/market_list.html",
        {
            "q": q,
            "sido": sido,
            "sidos": sidos,
            "page_obj": _page(request, markets),
            "searched": bool(q or sido),
        },
    )


@require_safe
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    """List the markets of one 시도 or 시군구, with the 시군구 of a 시도 to narrow down."""
    if not _REGION_CODE.match(code):
        raise Http404
    try:
        region = selectors.region_get(code=code)
    except Region.DoesNotExist:
        raise Http404 from None
    districts: list[Region] = []
    if region.level == Region.Level.SIDO:
        districts = list(
            selectors.region_list(parent=region.code)
            .annotate(market_count=Count("markets"))
            .filter(market_count__gt=0)
        )
    return render(
        request,
        "places/region.html",
        {
            "region": region,
            "districts": districts,
            "page_obj": _page(request, selectors.market_list(region=region.code)),
        },
    )


@require_safe
def market_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one market's official facts and the stores registered in dangol by category."""
    try:
        market = selectors.market_get(market_id=pk)
    except Market.DoesNotExist:
        raise Http404 from None
    stores = list(
        selectors.store_list(visible=stores_visible_to(request.user), market=market.pk)
    )
    return render(
        request,
        "places/market.html",
        {
            "market": market,
            "categories": _by_category(stores),
            "store_total": len(stores),
            "products": [str(item) for item in market.products or [] if str(item).strip()],
        },
    )


def _page(request: HttpRequest, queryset: QuerySet[Market]) -> Page:
    """Return the requested page of `queryset` (the last page if past the end)."""
    return Paginator(queryset, MARKETS_PER_PAGE).get_page(request.GET.get("page"))


def _by_category(stores: list[Store]) -> list[tuple[StrOrPromise, list[Store]]]:
    """Group `stores` under their category labels, categories in their declared order."""
    groups: dict[str, list[Store]] = {}
    for store in stores:
        groups.setdefault(store.category, []).append(store)
    return [
        (label, groups[value]) for value, label in Store.Category.choices if value in groups
    ]
