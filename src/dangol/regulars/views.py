"""Pages for following (단골 맺기): a store's public page with its regulars and follow
button, the customer's stores and consents, and a store's regulars for its owner and staff.
Thin: parse, authorise through the selectors, call one service, render."""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dangol.access import policy
from dangol.access.checks import may_manage_store, stores_visible_to
from dangol.access.pages import may_on_page, store_for_page
from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.errors import DangolError, NotFound
from dangol.core.pagecache import render_cached_for_anonymous
from dangol.core.spreadsheet import csv_writer
from dangol.places.models import Market, Store
from dangol.places.selectors import store_get
from dangol.regulars import consent_texts, selectors, services
from dangol.regulars.models import Follow
from dangol.regulars.poster import store_poster_pdf

REGULARS_PER_PAGE = 50
SEARCH_PER_PAGE = 30
GROWTH_DAYS = 30
RECENT_POSTS = 5


def _customer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (behind login_required)
    return user


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _sender(kind: str, pk: int) -> tuple[Store | None, Market | None]:
    if kind == "store":
        store = get_object_or_404(Store.objects.select_related("market"), pk=pk, is_active=True)
        return store, None
    return None, get_object_or_404(Market, pk=pk)


def _sender_url(store: Store | None, market: Market | None) -> str:
    if store is not None:
        return store.get_absolute_url()
    assert market is not None  # noqa: S101 (one of the two, by _sender)
    return market.get_absolute_url()


# --- a store's public page -------------------------------------------------------------------


@require_safe
def store_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one store's profile: facts, products with prices, recent posts, regulars."""
    actor = _actor(request)
    if actor is None:
        # Anonymous visitors (a QR scan at the counter) get the cached page while the
        # store's data is unchanged; the version query also answers "is it public?".
        version = selectors.store_page_version(store_id=pk)
        if version is None:
            raise Http404
        return render_cached_for_anonymous(
            request, "regulars/store.html", version=version,
            context=lambda: _store_context(actor=None, store_id=pk),
        )
    return render(request, "regulars/store.html", _store_context(actor=actor, store_id=pk))


def _store_context(*, actor: User | None, store_id: int) -> dict[str, object]:
    """Return what the store page shows, or raise Http404 if `actor` may not see it."""
    try:
        store = store_get(visible=stores_visible_to(actor), store_id=store_id)
    except Store.DoesNotExist:
        raise Http404 from None
    return {
        "store": store,
        "products": list(store.products.all()),
        "posts": list(store.posts.filter(published_at__lte=clock.now())[:RECENT_POSTS]),
        "follower_count": selectors.follower_count(store=store),
        # Personal parts: only for a signed-in visitor, whose page is never cached.
        "is_following": actor is not None and selectors.is_following(
            customer=actor, store=store
        ),
        "can_manage": actor is not None and may_manage_store(actor, store),
    }


def _actor(request: HttpRequest) -> User | None:
    """Return the signed-in user, or None for an anonymous visitor."""
    user = request.user
    return user if isinstance(user, User) else None


# --- following -------------------------------------------------------------------------------


@require_safe
def store_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The address in the counter poster's QR code: open the store's follow page (the
    sign-in page first, for a visitor who is not signed in)."""
    get_object_or_404(Store, pk=pk, is_active=True)
    return redirect(reverse("regulars:store_follow", args=[pk]) + "?source=qr")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def follow(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Show the follow prompt with the optional consents, and follow on POST."""
    store, market = _sender(kind, pk)
    customer = _customer(request)
    sender_url = _sender_url(store, market)
    source = request.POST.get("source") or request.GET.get("source") or Follow.Source.PAGE
    if source not in Follow.Source.values or source in (Follow.Source.IMPORT, Follow.Source.DEMO):
        source = Follow.Source.PAGE
    error = ""
    if request.method == "POST":
        try:
            services.follow_join(
                customer=customer, store=store, market=market, source=source,
                ad=request.POST.get("ad") == "1", night=request.POST.get("night") == "1",
            )
        except DangolError as exc:
            error = exc.message
        else:
            messages.success(request, _("단골이 되었습니다."))
            return redirect(_safe_next(request, sender_url))
    return render(request, "regulars/follow.html", {
        "store": store,
        "market": market,
        "sender": store or market,
        "sender_url": sender_url,
        "source": source,
        "following": selectors.is_following(customer=customer, store=store, market=market),
        "consent": selectors.consent_of(customer=customer, store=store, market=market),
        "privacy_text": consent_texts.FOLLOW_PRIVACY,
        "ad_text": consent_texts.AD,
        "night_text": consent_texts.NIGHT,
        "error": error,
        "next": _safe_next(request, ""),
    }, status=400 if error else 200)


@require_POST
@login_required
def unfollow(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Stop following a store or a market channel (its ad consent is withdrawn too)."""
    store, market = _sender(kind, pk)
    services.follow_delete(customer=_customer(request), store=store, market=market)
    messages.success(request, _("단골을 그만두었습니다. 광고 수신 동의도 철회되었습니다."))
    return redirect(_safe_next(request, _sender_url(store, market)))


@require_safe
def store_search(request: HttpRequest) -> HttpResponse:
    """Search stores by name or product (?q=), each with a follow button."""
    q = request.GET.get("q", "").strip()[:100]
    page = None
    followed: set[int] = set()
    if q:
        page = Paginator(selectors.store_search(q=q), SEARCH_PER_PAGE).get_page(
            request.GET.get("page")
        )
        if isinstance(request.user, User):
            followed = set(
                selectors.follows_of(customer=request.user)
                .filter(store__in=[store.pk for store in page])
                .values_list("store_id", flat=True)
            )
    return render(request, "regulars/store_search.html", {
        "q": q, "page_obj": page, "followed": followed,
    })


# --- the customer's own pages ----------------------------------------------------------------


@require_safe
@login_required
def my_stores(request: HttpRequest) -> HttpResponse:
    """List the stores and market channels the customer follows, with unfollow buttons."""
    follows = list(selectors.follows_of(customer=_customer(request)))
    return render(request, "regulars/my_stores.html", {"follows": follows})


@require_safe
@login_required
def my_consents(request: HttpRequest) -> HttpResponse:
    """List every sender with the customer's consents and one-tap withdrawal."""
    rows = selectors.consent_overview(customer=_customer(request))
    return render(request, "regulars/my_consents.html", {"rows": rows})


@require_POST
@login_required
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    """Withdraw one consent (`what=night`: only the night-time opt-in) at once."""
    night_only = request.POST.get("what") == "night"
    try:
        services.consent_withdraw_by_id(
            customer=_customer(request), consent_id=consent_id, night_only=night_only
        )
    except NotFound:
        raise Http404 from None
    if night_only:
        messages.success(request, _("야간 광고 수신 동의를 철회했습니다."))
    else:
        messages.success(request, _("광고성 정보 수신 동의를 철회했습니다."))
    return redirect("regulars:my_consents")


# --- a store's regulars, for its owner and staff -----------------------------------------------


def merchant_store(
    action: policy.Action,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Sign-in required; pass the store to the view if the user may take `action` there,
    else 403 (404 if there is no such store)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
            return view(request, store_for_page(request, pk, action), *args, **kwargs)

        return wrapper

    return decorate


def _tag_param(request: HttpRequest) -> int | None:
    value = request.GET.get("tag", "")
    return int(value) if value.isdigit() else None


@require_safe
@merchant_store(policy.REGULARS_LIST)
def regulars_list(request: HttpRequest, store: Store) -> HttpResponse:
    """The store's regulars (masked numbers), counts, 30-day growth and tags."""
    tag_id = _tag_param(request)
    page = Paginator(
        selectors.regulars_of(store=store, tag_id=tag_id), REGULARS_PER_PAGE
    ).get_page(request.GET.get("page"))
    growth = selectors.regulars_daily_growth(store=store, days=GROWTH_DAYS)
    peak = max((count for _day, count in growth), default=0)
    return render(request, "regulars/merchant_regulars.html", {
        "store": store,
        "page_obj": page,
        "counts": selectors.regulars_counts(store=store),
        "growth": growth,
        "growth_peak": peak,
        "growth_bars": _bars(growth, peak),
        "tags": list(selectors.tags_of(store=store)),
        "tag_id": tag_id,
        "can_export": may_on_page(request, policy.REGULARS_EXPORT, store=store),
    })


def _bars(growth: list[tuple[Any, int]], peak: int) -> list[dict[str, Any]]:
    """Return the SVG bars of the growth chart: x, height and label, in a 300×100 box."""
    width = 300 / max(len(growth), 1)
    bars = []
    for index, (day, count) in enumerate(growth):
        height = round(90 * count / peak, 1) if peak else 0
        bars.append({
            "x": round(index * width + 1, 1), "width": round(width - 2, 1),
            "y": round(100 - height, 1), "height": height, "day": day, "count": count,
        })
    return bars


@require_POST
@merchant_store(policy.REGULARS_LIST)
def tag_create(request: HttpRequest, store: Store) -> HttpResponse:
    """Create a tag for the store's regulars."""
    try:
        tag = services.tag_create(store=store, name=request.POST.get("name", ""))
    except DangolError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("태그 '%(name)s'을(를) 만들었습니다.") % {"name": tag.name})
    return redirect("regulars:merchant_regulars", pk=store.pk)


@require_POST
@merchant_store(policy.REGULARS_LIST)
def follow_tags(request: HttpRequest, store: Store, follow_id: int) -> HttpResponse:
    """Set the tags of one regular (the checked boxes)."""
    ids = [int(value) for value in request.POST.getlist("tags") if value.isdigit()]
    try:
        services.follow_tags_set(store=store, follow_id=follow_id, tag_ids=ids)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("태그를 저장했습니다."))
    return redirect(_safe_next(request, reverse("regulars:merchant_regulars", args=[store.pk])))


@require_safe
@merchant_store(policy.REGULARS_EXPORT)
def regulars_export(request: HttpRequest, store: Store) -> HttpResponse:
    """Download the store's regulars as CSV (UTF-8 with BOM, so Excel opens it in Korean).

    What the merchant may hold (개인정보보호법 §15 ①, §17): these customers chose to become
    regulars of this store, and gave the number for that stated purpose (단골 등록과 쿠폰·
    스탬프, and the store's ads if they opted in). The store is the controller of that
    relationship, so the export carries the full number — a masked number would be useless
    for the stated purpose — together with the evidence the law asks the store to keep
    (ad consent and its date, night consent). It carries nothing else: no consent texts of
    other senders, no other stores' follows, no sign-in data. Only the store's owner (and
    the platform administrator) may download it, and each download is recorded in the audit
    log (by the service); the page shows masked numbers.
    """
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"regulars-{store.pk}-{clock.today_kst().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv_writer(response)
    # merchant_store lets only a signed-in member of the store (or the admin) through
    rows = services.regulars_export(store=store, actor=cast(User, request.user))
    writer.writerows(rows)
    return response


@require_safe
@merchant_store(policy.STORE_POSTER)
def store_poster(request: HttpRequest, store: Store) -> HttpResponse:
    """Download the A5 counter poster: the store's name, market and follow QR code."""
    follow_url = request.build_absolute_uri(reverse("regulars:store_qr", args=[store.pk]))
    response = HttpResponse(
        store_poster_pdf(store=store, follow_url=follow_url), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="dangol-poster-{store.pk}.pdf"'
    return response
