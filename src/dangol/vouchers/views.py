"""Pages for mobile gift vouchers: the shop and a product's buy form, the customer's vouchers
(code and QR, gift, refund, extension), and the merchant's redeem, sales and new-product
screens. Thin: parse, authorise, call a service or selector, render."""

import datetime as dt
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangol.access import policy
from dangol.access.checks import may, stores_managed_by
from dangol.access.pages import market_for_page, store_for_page
from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.errors import DangolError
from dangol.core.korean import format_date
from dangol.core.money import format_won
from dangol.core.phone import mobile_normalize, phone_mask
from dangol.core.qr import SLUG_PATTERN, qr_svg, scan_page, scan_url
from dangol.payments.errors import PaymentPending
from dangol.payments.providers.sandbox import sandbox_cards
from dangol.payments.window import (
    window_checkout,
    window_failure_message,
    window_page,
    window_refused,
    window_return,
)
from dangol.places.models import Market, Store
from dangol.vouchers import rules, selectors, services, validity
from dangol.vouchers.checkout import voucher_checkout_complete, voucher_checkout_open
from dangol.vouchers.errors import (
    NotAccepted,
    PurchaseFailed,
    RefundRefused,
    VoucherExpired,
    VoucherNotActive,
)
from dangol.vouchers.forms import GiftForm, PurchaseForm, RedeemForm, VoucherProductForm
from dangol.vouchers.models import Refund, Voucher, VoucherProduct
from dangol.vouchers.purchase_page import purchase_page


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (login_required)
    return request.user


def _last_day(voucher: Voucher) -> dt.datetime:
    """Return the last instant the voucher is usable (valid_until is exclusive)."""
    return voucher.valid_until - dt.timedelta(microseconds=1)


# --- customer: shop and purchase ------------------------------------------------------------


def shop(request: HttpRequest) -> HttpResponse:
    """List the vouchers on sale, optionally of one market (?market=) or usable at one store
    (?store=)."""
    market = store = None
    if (market_id := request.GET.get("market", "")).isdigit():
        market = Market.objects.filter(pk=int(market_id)).first()
    if (store_id := request.GET.get("store", "")).isdigit():
        store = Store.objects.filter(pk=int(store_id), is_active=True).first()
    products = list(selectors.voucher_products_on_sale(market=market, store=store))
    for item in products:
        item.discount = item.face_value - item.sale_price  # type: ignore[attr-defined]
    return render(
        request,
        "vouchers/shop.html",
        {
            "products": products, "market": market, "store": store,
            "markets": list(selectors.voucher_markets_on_sale()),
        },
    )


def _product_page(
    request: HttpRequest, product: VoucherProduct, form: PurchaseForm, *,
    error: str = "", status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "vouchers/product.html",
        {
            "product": product, "form": form, "error": error,
            "stores": selectors.voucher_product_stores(product=product),
            "discount": product.face_value - product.sale_price,
            "sandbox_cards": sandbox_cards(), "window_checkout": window_checkout(),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def product(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a voucher product and its buy form; POST buys it (sign-in needed)."""
    item = (
        VoucherProduct.objects.select_related("store", "market", "store__market")
        .filter(pk=pk, is_active=True).first()
    )
    if item is None:
        raise Http404
    if request.method == "POST" and window_checkout() and request.user.is_authenticated:
        return _open_window(request, item)
    return purchase_page(
        request,
        page=partial(_product_page, request, item),
        buy=lambda buyer, card_number, key: services.voucher_purchase(
            product=item, buyer=buyer, card_number=card_number, idempotency_key=key
        ),
        bought=_("상품권을 샀습니다. 계산할 때 이 화면을 보여 주세요."),
    )


def _open_window(request: HttpRequest, item: VoucherProduct) -> HttpResponse:
    """Open the checkout of `item` and show the page that opens the payment window."""
    try:
        checkout = voucher_checkout_open(product=item, buyer=_user(request))
    except DangolError as exc:
        return _product_page(request, item, PurchaseForm(), error=exc.message, status=exc.status)
    return window_page(
        request, checkout=checkout,
        success_url=request.build_absolute_uri(reverse("vouchers:checkout_success")),
        fail_url=request.build_absolute_uri(reverse("vouchers:checkout_fail")),
        back_url=reverse("vouchers:product", args=[item.pk]),
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def checkout_success(request: HttpRequest) -> HttpResponse:
    """The payment window's successUrl: confirm the order (amount checked against the stored
    checkout) and go to the new voucher; a reload shows the same voucher."""
    try:
        voucher = voucher_checkout_complete(
            buyer=_user(request), **window_return(request)
        )
    except PaymentPending as exc:
        message = _("%(reason)s 이 화면을 새로 고치면 같은 결제로 이어서 처리합니다. "
                    "두 번 결제되지 않습니다.") % {"reason": exc.message}
        return window_refused(request, message=message, status=exc.status)
    except PurchaseFailed as exc:
        message = _("%(reason)s 결제되지 않았으니 다른 카드로 다시 시도해 주세요.") % {
            "reason": exc.message
        }
        return window_refused(request, message=message, status=exc.status)
    except DangolError as exc:
        return window_refused(request, message=exc.message, status=exc.status)
    messages.success(request, _("상품권을 샀습니다. 계산할 때 이 화면을 보여 주세요."))
    return redirect("vouchers:detail", pk=voucher.pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def checkout_fail(request: HttpRequest) -> HttpResponse:
    """The payment window's failUrl: say in Korean why nothing was paid."""
    return window_refused(
        request,
        message=window_failure_message(
            request.GET.get("code", ""), request.GET.get("message", "")
        ),
        status=400,
    )


# --- customer: my vouchers ------------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """Show the customer's vouchers: usable ones with balance and expiry, then finished ones,
    then the ones they gave away."""
    user = _user(request)
    return render(
        request,
        "vouchers/mine.html",
        {
            "wallet": selectors.voucher_wallet(user=user),
            "given": list(selectors.vouchers_given_away(user=user)),
        },
    )


def _detail_context(request: HttpRequest, voucher: Voucher) -> dict[str, Any]:
    user = _user(request)
    holder = selectors.voucher_is_held_by(voucher=voucher, user=user)
    now = clock.now()
    expired = voucher.is_expired(now)
    usable = holder and voucher.status == Voucher.Status.ACTIVE and not expired
    context: dict[str, Any] = {
        "voucher": voucher, "product": voucher.product, "is_holder": holder,
        "usable": usable, "expired": expired, "last_day": _last_day(voucher),
        "stores": selectors.voucher_product_stores(product=voucher.product),
        "history": selectors.voucher_history(voucher=voucher),
        "gift_form": GiftForm(),
        "can_extend": usable and voucher.extension_count < rules.MAX_EXTENSIONS,
        "max_extensions": rules.MAX_EXTENSIONS,
        "refund": Refund.objects.filter(voucher=voucher).first(),
    }
    if usable:
        context["scan_url"] = scan_url(request, reverse("vouchers:scan"), voucher.qr_token)
        context["qr_svg"] = qr_svg(context["scan_url"])
    if holder and context["refund"] is None:
        try:
            context["quote"] = rules.voucher_refund_check(voucher=voucher, at=now)
        except RefundRefused as exc:
            context["refund_refusal"] = exc.message
    return context


def _viewable(request: HttpRequest, pk: int) -> Voucher:
    try:
        return selectors.voucher_of_viewer(user=_user(request), voucher_id=pk)
    except Voucher.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one voucher: code and QR for the counter, balance, validity, where accepted,
    history, refund quote; POST gives it (with a confirmation step), refunds or extends it."""
    voucher = _viewable(request, pk)
    if request.method != "POST":
        return render(request, "vouchers/detail.html", _detail_context(request, voucher))
    if not selectors.voucher_is_held_by(voucher=voucher, user=_user(request)):
        raise PermissionDenied
    action = request.POST.get("action", "")
    if action in {"gift", "gift_confirm"}:
        return _gift(request, voucher, confirmed=action == "gift_confirm")
    if action == "refund":
        return _refund(request, voucher)
    if action == "extend":
        return _extend(request, voucher)
    raise Http404


def _gift(request: HttpRequest, voucher: Voucher, *, confirmed: bool) -> HttpResponse:
    form = GiftForm(request.POST)
    context = _detail_context(request, voucher)
    if not form.is_valid():
        context["gift_form"] = form
        return render(request, "vouchers/detail.html", context, status=400)
    data = form.cleaned_data
    if not confirmed:
        try:
            number = mobile_normalize(data["to_phone"])
        except DangolError as exc:
            form.add_error("to_phone", exc.message)
            context["gift_form"] = form
            return render(request, "vouchers/detail.html", context, status=400)
        context.update(gift_form=form, gift_confirm=True, gift_to=phone_mask(number))
        return render(request, "vouchers/detail.html", context)
    try:
        gift = services.voucher_gift(
            voucher=voucher, to_phone=data["to_phone"], message=data["message"]
        )
    except DangolError as exc:
        context.update(gift_form=form, gift_error=exc.message)
        return render(request, "vouchers/detail.html", context, status=exc.status)
    messages.success(
        request,
        _(
            "%(phone)s 님에게 상품권을 선물했습니다. "
            "받는 분이 이 번호로 로그인하면 알림함에서 볼 수 있습니다."
        )
        % {"phone": phone_mask(gift.to_phone)},
    )
    if voucher.buyer_id == _user(request).pk:
        return redirect("vouchers:detail", pk=voucher.pk)
    return redirect("vouchers:mine")


def _refund(request: HttpRequest, voucher: Voucher) -> HttpResponse:
    booked = Refund.objects.filter(voucher=voucher).first()
    if booked is None and request.POST.get("confirm") != "1":
        messages.error(request, _("환불하려면 확인란에 표시해 주세요."))
        return redirect("vouchers:detail", pk=voucher.pk)
    # One refund per voucher: a fixed key makes a double submit (or a retry after the
    # provider did not answer) finish the same refund instead of starting another.
    key = booked.idempotency_key if booked is not None else f"web-refund:{voucher.pk}"
    try:
        refund = services.voucher_refund(
            voucher=voucher, idempotency_key=key, reason=_("고객 요청 (웹)"),
            actor=_user(request),
        )
    except DangolError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(amount)s 환불을 신청했습니다 (%(rule)s). 결제한 카드로 돌려드립니다.")
            % {"amount": format_won(refund.amount), "rule": refund.get_rule_display()},
        )
    return redirect("vouchers:detail", pk=voucher.pk)


def _extend(request: HttpRequest, voucher: Voucher) -> HttpResponse:
    # The form names the extension it asks for: a double submit of the same form asks
    # for the same extension again, which has already happened.
    if request.POST.get("extension") != str(voucher.extension_count + 1):
        messages.info(request, _("이미 처리된 연장 요청입니다."))
        return redirect("vouchers:detail", pk=voucher.pk)
    try:
        extended = validity.voucher_extend(voucher=voucher)
    except DangolError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("유효기간을 %(date)s까지 연장했습니다.")
            % {"date": format_date(_last_day(extended))},
        )
    return redirect("vouchers:detail", pk=voucher.pk)


# --- merchant -------------------------------------------------------------------------------


def _settlement_url(store: Store) -> str:
    try:
        return reverse("settlement:merchant", args=[store.pk])
    except NoReverseMatch:
        return ""


@login_required
def merchant(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the store's voucher figures: sold (its own products) and redeemed here, today
    and this month, the fee taken and the latest redemptions."""
    store = store_for_page(request, pk, policy.VOUCHERS_SALES)
    return render(
        request,
        "vouchers/merchant.html",
        {
            "store": store,
            "summary": selectors.store_voucher_summary(store=store),
            "products": list(VoucherProduct.objects.filter(store=store).order_by("-id")),
            "settlement_url": _settlement_url(store),
            "is_owner": may(request.user, policy.VOUCHERS_STORE_PRODUCT, store=store),
        },
    )


def _refusal(voucher: Voucher, store: Store) -> str:
    """Return why the voucher cannot be used at `store` now, or "" (the service decides
    again at confirmation)."""
    if not services.voucher_accepted_at(product=voucher.product, store=store):
        return NotAccepted().message
    if voucher.status == Voucher.Status.REFUNDED:
        return VoucherNotActive(status=voucher.get_status_display()).message
    if voucher.is_expired(clock.now()):
        return VoucherExpired(until=format_date(_last_day(voucher))).message
    if voucher.status == Voucher.Status.USED or voucher.balance <= 0:
        return _("이미 모두 사용한 상품권입니다 (잔액 ₩0).")
    return ""


def _redeem_page(
    request: HttpRequest, *, store: Store, status: int = 200, **context: Any
) -> HttpResponse:
    return render(
        request, "vouchers/merchant_redeem.html", {"store": store, **context}, status=status
    )


def _redeem_preview(request: HttpRequest, *, store: Store, voucher: Voucher | None,
                    code: str = "") -> HttpResponse:
    if voucher is None:
        return _redeem_page(
            request, store=store, code=code, status=404,
            error=_("상품권 번호를 찾을 수 없습니다. 번호를 다시 확인해 주세요."),
        )
    refusal = _refusal(voucher, store)
    if refusal:
        return _redeem_page(request, store=store, voucher=voucher, error=refusal, status=409)
    whole = voucher.product.kind == VoucherProduct.Kind.PRODUCT
    form = RedeemForm(initial={"code": voucher.code, "amount": voucher.balance})
    return _redeem_page(
        request, store=store, voucher=voucher, form=form, whole=whole,
        last_day=_last_day(voucher),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def merchant_redeem(request: HttpRequest, pk: int) -> HttpResponse:
    """Redeem at the counter: enter the code (or arrive from the QR), see the voucher and
    whether it is accepted here, enter the amount, confirm.

    A code or QR token is a bearer credential: it travels only in POST bodies (`action=lookup`
    with `code` or `token`), never in the URL, which access logs record."""
    store = store_for_page(request, pk, policy.VOUCHERS_REDEEM)
    if request.method == "POST" and request.POST.get("action") == "lookup":
        return _redeem_look_up(request, store=store)
    if request.method == "POST":
        form = RedeemForm(request.POST)
        if not form.is_valid():
            return _redeem_page(
                request, store=store, error=_("사용 금액을 1원 이상으로 입력해 주세요."),
                status=400,
            )
        data = form.cleaned_data
        voucher = selectors.voucher_by_code(code=data["code"])
        if voucher is None:
            return _redeem_preview(request, store=store, voucher=None, code=data["code"])
        try:
            redemption = services.voucher_redeem(
                voucher=voucher, store=store, amount=data["amount"], staff=_user(request),
                idempotency_key=data["idempotency_key"],
            )
        except DangolError as exc:
            voucher.refresh_from_db()
            return _redeem_page(
                request, store=store, voucher=voucher, error=exc.message, status=exc.status
            )
        voucher.refresh_from_db()
        return _redeem_page(request, store=store, voucher=voucher, redeemed=redemption)
    return _redeem_page(request, store=store)


def _redeem_look_up(request: HttpRequest, *, store: Store) -> HttpResponse:
    token = request.POST.get("token", "").strip()[:64]
    code = request.POST.get("code", "").strip()[:20]
    if token:
        return _redeem_preview(
            request, store=store, voucher=selectors.voucher_by_token(token=token)
        )
    if code:
        return _redeem_preview(
            request, store=store, voucher=selectors.voucher_by_code(code=code), code=code
        )
    return _redeem_page(request, store=store)


@require_http_methods(["GET", "HEAD", "POST"])
def voucher_scan(request: HttpRequest) -> HttpResponse:
    """What staff's camera opens from a customer's voucher QR (`/v/#<token>`): the scanner
    page, which posts the token; the POST answers with the confirm screen of the scanning
    staff's store that accepts it (a choice if several), a refusal otherwise."""
    if request.method != "POST":
        return scan_page(request, title=_("상품권 QR"), field="token", pattern=SLUG_PATTERN)
    if not request.user.is_authenticated:
        return redirect_to_login(request.path)
    voucher = selectors.voucher_by_token(token=request.POST.get("token", "").strip())
    if voucher is None:
        return render(
            request, "vouchers/refused.html",
            {"message": _("상품권을 찾을 수 없습니다.")}, status=404,
        )
    if not may(request.user, policy.VOUCHERS_SCAN):
        return render(
            request, "vouchers/refused.html",
            {"message": _("가게 사장님이나 직원만 상품권을 사용 처리할 수 있습니다.")}, status=403,
        )
    stores = list(stores_managed_by(request.user))
    accepting = [
        store for store in stores
        if services.voucher_accepted_at(product=voucher.product, store=store)
    ]
    if not accepting:
        return render(
            request, "vouchers/refused.html", {"message": NotAccepted().message}, status=403
        )
    if len(accepting) == 1:
        # The confirm screen itself: a redirect would write the token into another URL.
        return _redeem_preview(request, store=accepting[0], voucher=voucher)
    return render(
        request, "vouchers/choose_store.html",
        {"stores": accepting, "token": voucher.qr_token},
    )


@require_http_methods(["GET", "HEAD"])
def voucher_scan_before(request: HttpRequest, token: str) -> HttpResponse:
    """A QR made before the token moved to the fragment (`/v/<token>/`): the scanner page
    with it in the fragment."""
    return redirect(f"{reverse('vouchers:scan')}#{token}")


def _product_new_page(
    request: HttpRequest, *, store: Store | None, market: Market | None
) -> HttpResponse:
    form = VoucherProductForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.voucher_product_create(store=store, market=market, **form.service_kwargs())
            except DangolError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("상품권을 만들었습니다. 지금부터 판매됩니다."))
                if store is not None:
                    return redirect("vouchers:merchant", pk=store.pk)
                return redirect(f"{reverse('vouchers:shop')}?market={market.pk if market else ''}")
    return render(
        request, "vouchers/product_new.html",
        {"form": form, "store": store, "market": market}, status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def product_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a store's owner create a voucher product of the store."""
    store = store_for_page(request, pk, policy.VOUCHERS_STORE_PRODUCT)
    return _product_new_page(request, store=store, market=None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def market_product_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a market's merchants' association (상인회) create a market-wide voucher product."""
    market = market_for_page(request, pk, policy.VOUCHERS_MARKET_PRODUCT)
    return _product_new_page(request, store=None, market=market)

