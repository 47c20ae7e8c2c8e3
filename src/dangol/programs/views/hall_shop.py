"""Pages of the promotion hall (기획전): the customer's list of discounted products with the
remaining budget, and the buy page paying with a card (the sandbox's test cards in the demo)."""

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangol.accounts.models import User
from dangol.core.errors import DangolError
from dangol.payments.providers.sandbox import sandbox_cards
from dangol.payments.window import (
    window_checkout,
    window_failure_message,
    window_page,
    window_refused,
    window_return,
)
from dangol.programs import hall
from dangol.programs.hall_checkout import hall_checkout_complete, hall_checkout_open
from dangol.programs.models import HallItem, Program
from dangol.vouchers.forms import PurchaseForm
from dangol.vouchers.purchase_page import purchase_page


def _visible_program(program_id: int) -> Program:
    """Return a program whose hall customers may see (open or closed, never a draft)."""
    program = get_object_or_404(Program.objects.select_related("operator"), pk=program_id)
    if program.status == Program.Status.DRAFT:
        raise Http404
    return program


@require_http_methods(["GET", "HEAD"])
def hall_list(request: HttpRequest, program_id: int) -> HttpResponse:
    """Show the hall's items (store, product, price, discount, sale price) and the
    remaining promotion budget; a closed hall says so."""
    program = _visible_program(program_id)
    items = hall.hall_items(program=program)
    budget = hall.hall_budget(program=program)
    is_open = program.status == Program.Status.OPEN and any(item.is_active for item in items)
    return render(
        request, "programs/hall_list.html",
        {"program": program, "items": items, "budget": budget, "is_open": is_open},
    )


def _item_page(
    request: HttpRequest, item: HallItem, form: PurchaseForm, *, error: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "program": item.program, "item": item, "form": form, "error": error,
        "sale_price": item.price - item.discount,
        "on_sale": item.is_active and item.program.status == Program.Status.OPEN,
        "sandbox_cards": sandbox_cards(), "window_checkout": window_checkout(),
    }
    return render(request, "programs/hall_item.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def hall_item(request: HttpRequest, program_id: int, item_id: int) -> HttpResponse:
    """Show one hall item and its buy form; POST buys it (sign-in needed)."""
    program = _visible_program(program_id)
    item = get_object_or_404(
        HallItem.objects.select_related("program", "store", "store__market", "product"),
        pk=item_id, program=program,
    )
    if request.method == "POST" and window_checkout() and request.user.is_authenticated:
        try:
            checkout = hall_checkout_open(item=item, buyer=_user(request))
        except DangolError as exc:
            item.refresh_from_db()
            return _item_page(request, item, PurchaseForm(), error=exc.message, status=exc.status)
        return window_page(
            request, checkout=checkout,
            success_url=request.build_absolute_uri(reverse("programs:hall_checkout_success")),
            fail_url=request.build_absolute_uri(reverse("programs:hall_checkout_fail")),
            back_url=reverse("programs:hall_item", args=[program.pk, item.pk]),
        )
    return purchase_page(
        request,
        page=partial(_item_page, request, item),
        buy=lambda buyer, card_number, key: hall.hall_purchase(
            item=item, buyer=buyer, card_number=card_number, idempotency_key=key
        ),
        bought=_("기획전 교환권을 샀습니다. 가게에서 이 화면을 보여 주세요."),
        refused=item.refresh_from_db,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def hall_checkout_success(request: HttpRequest) -> HttpResponse:
    """The payment window's successUrl for a hall item: reserve, confirm (amount checked
    against the stored checkout) and go to the voucher; a reload shows the same voucher."""
    try:
        voucher = hall_checkout_complete(
            buyer=_user(request), **window_return(request)
        )
    except DangolError as exc:
        return window_refused(request, message=exc.message, status=exc.status)
    messages.success(request, _("기획전 교환권을 샀습니다. 가게에서 이 화면을 보여 주세요."))
    return redirect("vouchers:detail", pk=voucher.pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def hall_checkout_fail(request: HttpRequest) -> HttpResponse:
    """The payment window's failUrl for a hall item: say in Korean why nothing was paid."""
    message = window_failure_message(request.GET.get("code", ""), request.GET.get("message", ""))
    return window_refused(request, message=message, status=400)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (login_required or checked above)
    return request.user
