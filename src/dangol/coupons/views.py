"""Pages for coupons and stamp cards: the customer's wallet and cards, the merchant's
coupon, redeem and stamp screens. Thin: parse, authorise, call a service, render."""

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangol.access import policy
from dangol.access.checks import may, stores_managed_by, stores_visible_to
from dangol.access.pages import store_for_page
from dangol.accounts.models import User
from dangol.core.errors import DangolError
from dangol.core.qr import SLUG_PATTERN, qr_svg, scan_page, scan_url
from dangol.coupons import errors, rules, selectors, services, stamps
from dangol.coupons.forms import CouponTemplateForm, RedeemForm, StampForm, StampProgramForm
from dangol.coupons.models import Coupon, CouponTemplate
from dangol.places.models import Store
from dangol.places.selectors import store_get


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (login_required)
    return request.user


# --- customer -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def store_coupons(request: HttpRequest, pk: int) -> HttpResponse:
    """List the coupons customers may claim at a store; POST claims one (sign-in needed)."""
    actor = request.user if request.user.is_authenticated else None
    try:
        store = store_get(visible=stores_visible_to(actor), store_id=pk)
    except Store.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        if actor is None:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        template = CouponTemplate.objects.filter(
            store=store, pk=request.POST.get("template") or 0
        ).first()
        if template is None:
            raise Http404
        try:
            coupon = services.coupon_claim(template=template, customer=_user(request))
        except DangolError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("쿠폰을 받았습니다. 내 쿠폰함에서 볼 수 있습니다."))
            return redirect("coupons:coupon", pk=coupon.pk)
        return redirect("coupons:store_coupons", pk=store.pk)
    templates = list(selectors.claimable_templates(store=store, customer=actor))
    return render(
        request, "coupons/store_coupons.html", {"store": store, "templates": templates}
    )


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    """Show the customer's coupons: usable, used, expired."""
    return render(
        request, "coupons/wallet.html", {"wallet": selectors.wallet_for(customer=_user(request))}
    )


@login_required
def coupon_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one coupon for the counter: the large 6-digit code and a QR of its scan URL."""
    try:
        coupon = selectors.coupon_of_customer(customer=_user(request), coupon_id=pk)
    except DangolError:
        raise Http404 from None
    url = scan_url(request, reverse("coupons:scan"), coupon.token)
    return render(
        request,
        "coupons/coupon_detail.html",
        {
            "coupon": coupon,
            "usable": coupon.status == Coupon.Status.ISSUED
            and not rules.coupon_is_expired(coupon),
            "scan_url": url,
            "qr_svg": qr_svg(url),
        },
    )


@login_required
def stamp_cards(request: HttpRequest) -> HttpResponse:
    """Show the customer's stamp cards with their progress."""
    cards = list(selectors.stamp_cards_of(customer=_user(request)))
    return render(request, "coupons/stamps.html", {"cards": cards})


@login_required
def my_code(request: HttpRequest) -> HttpResponse:
    """Show the customer's personal code (digits and QR) for stamps at the counter."""
    code = stamps.customer_code_get_or_create(customer=_user(request))
    url = scan_url(request, reverse("coupons:customer_scan"), code.code)
    return render(
        request, "coupons/my_code.html", {"code": code, "scan_url": url, "qr_svg": qr_svg(url)}
    )


# --- merchant -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def merchant_coupons(request: HttpRequest, pk: int) -> HttpResponse:
    """List the store's coupon templates, create one, or issue one to all regulars."""
    store = store_for_page(request, pk, policy.COUPONS_MANAGE)
    form = CouponTemplateForm()
    if request.method == "POST":
        if request.POST.get("action") == "issue":
            template = CouponTemplate.objects.filter(
                store=store, pk=request.POST.get("template") or 0
            ).first()
            if template is None:
                raise Http404
            try:
                count = services.coupon_issue_to_regulars(template=template)
            except DangolError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, _("단골 %(count)s명에게 쿠폰을 발급했습니다.") % {"count": count}
                )
            return redirect("coupons:merchant_coupons", pk=store.pk)
        form = CouponTemplateForm(request.POST)
        if form.is_valid():
            try:
                services.coupon_template_create(store=store, **form.service_kwargs())
            except DangolError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("쿠폰을 만들었습니다."))
                return redirect("coupons:merchant_coupons", pk=store.pk)
    return render(
        request,
        "coupons/merchant_coupons.html",
        {"store": store, "templates": list(selectors.store_templates(store=store)), "form": form},
    )


def _redeem_page(
    request: HttpRequest, *, store: Store, status: int = 200, **context: Any
) -> HttpResponse:
    context.setdefault("form", RedeemForm())
    return render(
        request, "coupons/merchant_redeem.html", {"store": store, **context}, status=status
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def merchant_redeem(request: HttpRequest, pk: int) -> HttpResponse:
    """Redeem at the counter: enter the code, see the coupon, confirm with the amount.

    A code or QR token travels only in POST bodies (`action=lookup` to look a coupon up),
    never in the URL, which access logs record."""
    store = store_for_page(request, pk, policy.COUPONS_REDEEM)
    if request.method == "POST" and request.POST.get("action") == "lookup":
        code = request.POST.get("code", "").strip()[:12]
        token = request.POST.get("token", "").strip()[:64]
        if not (code or token):
            return _redeem_page(request, store=store)
        return _preview(request, store=store, code=code, token=token)
    if request.method == "POST":
        form = RedeemForm(request.POST)
        if not form.is_valid():
            return _redeem_page(request, store=store, form=form, status=400)
        data = form.cleaned_data
        try:
            coupon = services.coupon_redeem(
                store=store, staff=_user(request), code=data["code"] or None,
                token=data["token"] or None, purchase_amount=data["purchase_amount"],
            )
        except DangolError as exc:
            return _redeem_page(request, store=store, error=exc.message, status=exc.status)
        return _redeem_page(request, store=store, redeemed=coupon)
    return _redeem_page(request, store=store)


def _preview(request: HttpRequest, *, store: Store, code: str, token: str) -> HttpResponse:
    try:
        coupon = services.coupon_find(store=store, code=code or None, token=token or None)
        rules.coupon_check_usable(coupon=coupon, store=store)
    except DangolError as exc:
        return _redeem_page(
            request, store=store, error=exc.message, status=exc.status,
            form=RedeemForm(initial={"code": code}),
        )
    form = RedeemForm(initial={"code": coupon.code if not token else "", "token": token})
    return _redeem_page(request, store=store, coupon=coupon, form=form)


@require_http_methods(["GET", "HEAD", "POST"])
def coupon_scan(request: HttpRequest) -> HttpResponse:
    """What staff's camera opens from a customer's coupon QR (`/c/#<token>`): the scanner
    page, which posts the token; the POST answers with the confirm screen for staff of the
    coupon's store, the refusal for anyone else."""
    if request.method != "POST":
        return scan_page(request, title=_("쿠폰 QR"), field="token", pattern=SLUG_PATTERN)
    if not request.user.is_authenticated:
        return redirect_to_login(request.path)
    token = request.POST.get("token", "").strip()
    coupon = selectors.coupon_by_token(token=token) if token else None
    if coupon is None:
        return render(
            request, "coupons/refused.html",
            {"message": errors.CouponNotFound().message}, status=404,
        )
    if not may(request.user, policy.COUPONS_REDEEM, store=coupon.store):
        own = stores_managed_by(request.user).first()
        message = (
            errors.CouponForeign(store=coupon.store.name).message if own is not None
            else _("가게 사장님이나 직원만 쿠폰을 사용 처리할 수 있습니다.")
        )
        return render(request, "coupons/refused.html", {"message": message}, status=403)
    return _preview(request, store=coupon.store, code="", token=coupon.token)


@require_http_methods(["GET", "HEAD"])
def coupon_scan_before(request: HttpRequest, token: str) -> HttpResponse:
    """A QR made before the token moved to the fragment (`/c/<token>/`): the scanner page
    with it in the fragment."""
    return redirect(f"{reverse('coupons:scan')}#{token}")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def merchant_stamps(request: HttpRequest, pk: int) -> HttpResponse:
    """Give stamps by customer code or phone; set up the store's stamp card if it has none.
    A POST with action "prefill" (the store chosen after a customer's QR) shows the form
    with their code."""
    store = store_for_page(request, pk, policy.STAMPS_GIVE)
    prefill = None
    if request.method == "POST" and request.POST.get("action") == "prefill":
        prefill = request.POST.get("customer_code", "")
    return _stamps_page(request, store=store, prefill=prefill)


def _stamps_page(request: HttpRequest, *, store: Store, prefill: str | None) -> HttpResponse:
    """The stamp screen; with `prefill`, the form filled with that customer code and the
    request's POST (a scan, not a stamp) left alone."""
    program = selectors.stamp_program_of(store=store)
    form = StampForm(initial={"customer_code": prefill or ""})
    program_form = StampProgramForm()
    rewards = CouponTemplate.objects.filter(store=store, total_quantity__isnull=True)
    program_form.fields["reward"].queryset = rewards  # type: ignore[attr-defined]
    result = None
    error = None
    status = 200
    giving = request.method == "POST" and prefill is None
    if giving and request.POST.get("action") == "program":
        program_form = StampProgramForm(request.POST)
        program_form.fields["reward"].queryset = rewards  # type: ignore[attr-defined]
        if program_form.is_valid():
            try:
                stamps.stamp_program_create(store=store, **program_form.cleaned_data)
            except DangolError as exc:
                program_form.add_error(None, exc.message)
            else:
                messages.success(request, _("스탬프 카드를 시작했습니다."))
                return redirect("coupons:merchant_stamps", pk=store.pk)
    elif giving:
        form = StampForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = stamps.stamp_give(
                    store=store, staff=_user(request), customer_code=data["customer_code"] or None,
                    phone=data["phone"] or None, count=data["count"],
                )
            except DangolError as exc:
                error, status = exc.message, exc.status
            else:
                form = StampForm()
        else:
            status = 400
    return render(
        request,
        "coupons/merchant_stamps.html",
        {
            "store": store, "program": program, "form": form, "program_form": program_form,
            "result": result, "error": error,
            "recent": list(selectors.recent_stamps(store=store)) if program else [],
        },
        status=status,
    )


CUSTOMER_CODE_PATTERN = r"[0-9]{8}"


@require_http_methods(["GET", "HEAD", "POST"])
def customer_scan(request: HttpRequest) -> HttpResponse:
    """What staff's camera opens from a customer's personal QR (`/u/#<code>`): the scanner
    page, which posts the code; the POST answers with the stamp screen of their store with
    the code filled in (a choice when they run several stores)."""
    if request.method != "POST":
        return scan_page(
            request, title=_("고객 번호 QR"), field="code", pattern=CUSTOMER_CODE_PATTERN
        )
    if not request.user.is_authenticated:
        return redirect_to_login(request.path)
    if not may(request.user, policy.STAMPS_SCAN):
        return render(
            request, "coupons/refused.html",
            {"message": _("가게 사장님이나 직원만 스탬프를 줄 수 있습니다.")}, status=403,
        )
    code = request.POST.get("code", "").strip()
    if not re.fullmatch(CUSTOMER_CODE_PATTERN, code):
        return render(
            request, "coupons/refused.html",
            {"message": _("고객 번호는 숫자 8자리입니다.")}, status=400,
        )
    stores = list(stores_managed_by(request.user))
    if len(stores) == 1:
        store = store_for_page(request, stores[0].pk, policy.STAMPS_GIVE)
        return _stamps_page(request, store=store, prefill=code)
    return render(request, "coupons/choose_store.html", {"stores": stores, "code": code})


@require_http_methods(["GET", "HEAD"])
def customer_scan_before(request: HttpRequest, code: str) -> HttpResponse:
    """A QR made before the code moved to the fragment (`/u/<code>/`): the scanner page with
    it in the fragment."""
    return redirect(f"{reverse('coupons:customer_scan')}#{code}")
