"""The provider's payment window as the pages see it: whether checkout goes through it, the
page that opens it (what it hands to Toss), and what the buyer is told when it returns to the
failUrl or a confirm is refused. Shared by every seller's pages (vouchers, message credit)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangol.payments.models import Checkout
from dangol.payments.providers.toss import DECLINE_MESSAGES

# Codes Toss's window sends to the failUrl (docs: API & SDK / 에러 코드, failUrl로 전달되는 에러).
WINDOW_FAILURES = {
    "PAY_PROCESS_CANCELED": gettext_lazy("결제를 취소했습니다. 결제되지 않았습니다."),
    "PAY_PROCESS_ABORTED": gettext_lazy("결제가 중단되었습니다. 결제되지 않았습니다."),
    "REJECT_CARD_COMPANY": DECLINE_MESSAGES["REJECT_CARD_COMPANY"],
}


def window_checkout() -> bool:
    """Return True when purchases go through the provider's payment window (Toss); the
    sandbox keeps its card form."""
    return bool(settings.PAYMENTS_PROVIDER == "toss")


def window_request(*, checkout: Checkout, success_url: str, fail_url: str) -> dict[str, Any]:
    """Return what the page hands to Toss's `requestPayment('카드', …)`, with the client key."""
    return {
        "clientKey": settings.TOSS_CLIENT_KEY,
        "payment": {
            "amount": checkout.amount,
            "orderId": checkout.order_id,
            "orderName": checkout.order_name,
            "successUrl": success_url,
            "failUrl": fail_url,
        },
    }


def window_return(request: HttpRequest) -> dict[str, Any]:
    """Read what the payment window sends back to its success address, as the keyword
    arguments of a `…_checkout_complete` service: `order_id`, `payment_key`, `amount` (-1,
    which no order has, when it is missing or not a number)."""
    try:
        amount = int(request.GET.get("amount", ""))
    except ValueError:
        amount = -1
    return {
        "order_id": request.GET.get("orderId", ""),
        "payment_key": request.GET.get("paymentKey", ""),
        "amount": amount,
    }


def window_failure_message(code: str, message: str) -> str:
    """Return the Korean reason for the window's failUrl `code` (the provider's own
    `message` for a code we do not know)."""
    known = WINDOW_FAILURES.get(code) or DECLINE_MESSAGES.get(code)
    if known:
        return str(known)
    return message[:300] or _("결제되지 않았습니다. 다시 시도해 주세요.")


def window_page(
    request: HttpRequest, *, checkout: Checkout, success_url: str, fail_url: str, back_url: str
) -> HttpResponse:
    """Render the page that opens the provider's payment window for `checkout`: Toss's own
    (its SDK, with the client key) or, when TOSS_WINDOW_URL is set, that page (the fake)."""
    return render(
        request,
        "payments/window.html",
        {
            "checkout": checkout, "client_key": settings.TOSS_CLIENT_KEY,
            "window_url": settings.TOSS_WINDOW_URL,
            "window_request": window_request(
                checkout=checkout, success_url=success_url, fail_url=fail_url
            ),
            "success_url": success_url, "fail_url": fail_url, "back_url": back_url,
        },
    )


def window_refused(
    request: HttpRequest, *, message: str, status: int, back_url: str = ""
) -> HttpResponse:
    """Render why a payment through the window was not made (nothing was charged)."""
    return render(
        request, "payments/window_refused.html", {"message": message, "back_url": back_url},
        status=status,
    )
