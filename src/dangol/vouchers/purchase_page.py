"""The card purchase behind a buy page, shared by a voucher product (vouchers) and a
promotion-hall item (programs): sign-in, the form, the payment and what each refusal tells
the buyer."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from dangol.accounts.models import User
from dangol.core.errors import DangolError
from dangol.payments.errors import PaymentPending
from dangol.vouchers.errors import PurchaseFailed
from dangol.vouchers.forms import PurchaseForm
from dangol.vouchers.models import Voucher

# page(form, *, error="", status=200) renders the buy page.
Page = Callable[..., HttpResponse]
# buy(buyer, card_number, idempotency_key) buys and returns the new voucher.
Buy = Callable[[User, str, str], Voucher]


def purchase_page(
    request: HttpRequest, *, page: Page, buy: Buy, bought: str,
    refused: Callable[[], None] | None = None,
) -> HttpResponse:
    """Answer a buy page. GET shows the empty form; POST asks to sign in first, then buys
    with the card of a valid form and goes to the new voucher with `bought` as the message.
    A pending payment keeps the form and its key (sending it again finishes this payment,
    never a second one); a declined one is final under its key, so the next try gets a fresh
    form; any other refusal shows its message, after `refused()` reloads what it changed."""
    if request.method != "POST":
        return page(PurchaseForm())
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    form = PurchaseForm(request.POST)
    if not form.is_valid():
        return page(form, status=400)
    buyer = request.user
    assert isinstance(buyer, User)  # noqa: S101 (signed in above)
    try:
        voucher = buy(
            buyer, form.cleaned_data["card_number"], form.cleaned_data["idempotency_key"]
        )
    except PaymentPending as exc:
        message = _("%(reason)s 잠시 후 [결제하기]를 다시 누르면 같은 결제로 이어서 처리합니다. "
                    "두 번 결제되지 않습니다.") % {"reason": exc.message}
        return page(form, error=message, status=exc.status)
    except PurchaseFailed as exc:
        message = _("%(reason)s 결제되지 않았으니 다른 카드로 다시 시도해 주세요.") % {
            "reason": exc.message
        }
        return page(PurchaseForm(), error=message, status=exc.status)
    except DangolError as exc:
        if refused is not None:
            refused()
        return page(PurchaseForm(), error=exc.message, status=exc.status)
    messages.success(request, bought)
    return redirect("vouchers:detail", pk=voucher.pk)

