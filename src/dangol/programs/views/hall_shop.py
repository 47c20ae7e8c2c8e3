"""Pages of the promotion hall (기획전): the customer's list of discounted products with the
remaining budget, and the buy page paying with a card (the sandbox's test cards in the demo)."""

from functools import partial
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangol.payments.providers.sandbox import sandbox_cards
from dangol.programs import hall
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
        "sandbox_cards": sandbox_cards(),
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
    return purchase_page(
        request,
        page=partial(_item_page, request, item),
        buy=lambda buyer, card_number, key: hall.hall_purchase(
            item=item, buyer=buyer, card_number=card_number, idempotency_key=key
        ),
        bought=_("기획전 교환권을 샀습니다. 가게에서 이 화면을 보여 주세요."),
        refused=item.refresh_from_db,
    )
