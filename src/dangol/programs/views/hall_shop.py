"""Pages of the promotion hall (기획전): the customer's list of discounted products with the
remaining budget, and the buy page paying with a card (the sandbox's test cards in the demo)."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangol.accounts.models import User
from dangol.core.errors import DangolError
from dangol.payments.errors import PaymentPending
from dangol.payments.providers.sandbox import sandbox_cards
from dangol.programs import hall
from dangol.programs.models import HallItem, Program
from dangol.vouchers.errors import PurchaseFailed
from dangol.vouchers.forms import PurchaseForm


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
    if request.method != "POST":
        return _item_page(request, item, PurchaseForm())
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    form = PurchaseForm(request.POST)
    if not form.is_valid():
        return _item_page(request, item, form, status=400)
    buyer = request.user
    assert isinstance(buyer, User)  # noqa: S101 (signed in above)
    try:
        voucher = hall.hall_purchase(
            item=item, buyer=buyer, card_number=form.cleaned_data["card_number"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except PaymentPending as exc:
        # Same key again finishes this payment, never a second one.
        message = _("%(reason)s 잠시 후 [결제하기]를 다시 누르면 같은 결제로 이어서 처리합니다. "
                    "두 번 결제되지 않습니다.") % {"reason": exc.message}
        return _item_page(request, item, form, error=message, status=exc.status)
    except PurchaseFailed as exc:
        message = _("%(reason)s 결제되지 않았으니 다른 카드로 다시 시도해 주세요.") % {
            "reason": exc.message
        }
        return _item_page(request, item, PurchaseForm(), error=message, status=exc.status)
    except DangolError as exc:
        item.refresh_from_db()
        return _item_page(request, item, PurchaseForm(), error=exc.message, status=exc.status)
    messages.success(request, _("기획전 교환권을 샀습니다. 가게에서 이 화면을 보여 주세요."))
    return redirect("vouchers:detail", pk=voucher.pk)
