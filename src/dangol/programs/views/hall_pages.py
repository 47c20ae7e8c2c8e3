"""The console's promotion-hall curation (P6): search a store, add or change an item."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangol.access import policy
from dangol.access.checks import signed_in
from dangol.access.pages import require_for_page
from dangol.core.errors import DangolError
from dangol.core.money import format_won
from dangol.places.models import Store
from dangol.programs import hall
from dangol.programs.forms import HallItemForm
from dangol.programs.models import Benefit
from dangol.programs.views.common import can_run, program_readable

HALL_SEARCH_LIMIT = 20





def _posted_or_asked_store(request: HttpRequest) -> Store | None:
    raw = (request.POST if request.method == "POST" else request.GET).get("store", "")
    if not raw.isdigit():
        return None
    return Store.objects.select_related("market").filter(pk=int(raw)).first()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def hall_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """Curate the promotion hall: find an eligible store by name, pick one of its products,
    list it with a discount and the program's share; the hall's items below."""
    program = program_readable(request, pk)
    if request.method == "POST":
        require_for_page(request, policy.PROGRAM_HALL, organisation=program.operator_id)
    store = _posted_or_asked_store(request)
    promotion = program.benefits.filter(kind=Benefit.Kind.PROMOTION_SUPPORT).first()
    initial: dict[str, Any] = {"store": store.pk if store else None}
    if promotion is not None:
        initial["share_percent"] = promotion.share_bp / 100
    form = HallItemForm(request.POST or None, store=store, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            product = form.cleaned_data["product"]
            try:
                item = hall.hall_item_add(
                    program=program, product=product,
                    discount=form.cleaned_data["discount"], share_bp=form.share_bp,
                    actor=signed_in(request.user),
                )
            except DangolError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("%(product)s을(를) 기획전에 올렸습니다. 판매가 %(sale)s") % {
                        "product": product.name,
                        "sale": format_won(item.price - item.discount)},
                )
                return redirect("programs:console_hall", pk=program.pk)
    query = request.GET.get("q", "").strip()[:100]
    found: list[Store] = []
    if query:
        found = list(
            hall.hall_stores_eligible(program=program).filter(name__icontains=query)
            .select_related("market").order_by("name", "id")[:HALL_SEARCH_LIMIT]
        )
    items = hall.hall_items(program=program)
    for item in items:
        item.share_percent = item.share_bp / 100  # type: ignore[attr-defined]
    context = {
        "program": program,
        "can_run": can_run(request, program),
        "query": query,
        "found": found,
        "store": store,
        "form": form,
        "items": items,
        "budget": hall.hall_budget(program=program),
    }
    return render(request, "programs/console_hall.html", context, status=status)
