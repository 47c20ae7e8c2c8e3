"""Writes on checkouts: the order dangol opens before the provider's payment window, and its
confirmation when the window returns (one door for every seller: vouchers, message credit,
the promotion hall).

The window (Toss's, with the client key) takes the order id and amount of an open checkout
and sends the buyer back to the seller's success URL with a paymentKey, the order id and the
amount. `checkout_confirm` checks them against the stored checkout and charges with that
order id; a reload or a second callback returns the same payment without charging again.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from dangol.core.errors import ValidationError
from dangol.core.ids import random_code
from dangol.payments.errors import CheckoutAmountMismatch, CheckoutNotFound, PaymentDeclined
from dangol.payments.models import Checkout, Payment
from dangol.payments.services import payment_charge


def checkout_open(
    *, buyer_id: int, amount: int, order_name: str, purpose: str, item_id: int
) -> Checkout:
    """Open a checkout of `amount` won for `buyer_id` buying `item_id` of `purpose`; return it
    with a new order id (for the payment window)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(_("금액은 1원 이상의 정수여야 합니다."))
    return Checkout.objects.create(
        order_id=f"DG{random_code(20)}",
        amount=amount,
        order_name=order_name[:100],
        purpose=purpose,
        item_id=item_id,
        buyer_id=buyer_id,
    )


def checkout_check(*, order_id: str, amount: int, buyer_id: int, purpose: str) -> Checkout:
    """Return the checkout `order_id` of `purpose` opened by `buyer_id` if `amount` is its
    stored amount. Raise CheckoutNotFound, CheckoutAmountMismatch. Changes nothing."""
    checkout = Checkout.objects.filter(
        order_id=order_id, buyer_id=buyer_id, purpose=purpose
    ).first()
    if checkout is None:
        raise CheckoutNotFound()
    if amount != checkout.amount:
        raise CheckoutAmountMismatch()
    return checkout


def checkout_confirm(
    *, order_id: str, payment_key: str, amount: int, buyer_id: int, purpose: str
) -> tuple[Checkout, Payment]:
    """Confirm the payment the window returned for the open checkout `order_id` and return
    the checkout (PAID) and its captured payment.

    Raise CheckoutNotFound unless `order_id` is a checkout of `purpose` opened by `buyer_id`,
    CheckoutAmountMismatch if `amount` is not the stored amount (nothing is charged),
    PaymentDeclined when the provider declines (the checkout is FAILED with its reason),
    PaymentPending when it did not answer (the same callback again finishes this payment).
    """
    if not payment_key:
        raise CheckoutNotFound()
    checkout = checkout_check(order_id=order_id, amount=amount, buyer_id=buyer_id, purpose=purpose)
    try:
        payment = payment_charge(
            amount=checkout.amount,
            source=payment_key,
            idempotency_key=f"checkout:{checkout.order_id}",
            order_id=checkout.order_id,
        )
    except PaymentDeclined as declined:
        _checkout_close(checkout.pk, payment=declined.payment)
        raise
    return _checkout_close(checkout.pk, payment=payment), payment


def checkouts_answered(*, purpose: str) -> list[tuple[Checkout, Payment]]:
    """Return the OPEN checkouts of `purpose` whose payment has a final answer (captured or
    failed) with that payment: a buyer who never came back from a pending confirm, settled
    since by the sweeper. The selling app finishes them (`checkout_confirm` replays)."""
    open_orders = dict(
        Checkout.objects.filter(purpose=purpose, status=Checkout.Status.OPEN).values_list(
            "order_id", "pk"
        )
    )
    payments = Payment.objects.filter(
        order_id__in=list(open_orders),
        status__in=[Payment.Status.CAPTURED, Payment.Status.FAILED],
    )
    checkouts = Checkout.objects.in_bulk(list(open_orders.values()))
    return [(checkouts[open_orders[payment.order_id]], payment) for payment in payments]


@transaction.atomic
def _checkout_close(checkout_id: int, *, payment: Payment) -> Checkout:
    """Record the payment's outcome on the checkout (once). Locks the checkout."""
    checkout = Checkout.objects.select_for_update().get(pk=checkout_id)
    if checkout.status != Checkout.Status.OPEN:
        return checkout
    checkout.payment = payment
    if payment.status == Payment.Status.CAPTURED:
        checkout.status = Checkout.Status.PAID
    else:
        checkout.status = Checkout.Status.FAILED
        checkout.error_code = payment.error_code
        checkout.error_message = payment.error_message
    checkout.save(
        update_fields=["payment", "status", "error_code", "error_message", "updated_at"]
    )
    return checkout
