"""Buying a voucher through the provider's payment window: the checkout opened before the
window, and its completion when the window returns (the voucher is issued by the one door,
`services.voucher_issue`). The sandbox's card form keeps `services.voucher_purchase`."""

from django.db import IntegrityError

from dangol.accounts.models import User
from dangol.payments.checkout import checkout_confirm, checkout_open, checkouts_answered
from dangol.payments.errors import PaymentDeclined
from dangol.payments.models import Checkout
from dangol.vouchers.errors import ProductNotOnSale, PurchaseFailed
from dangol.vouchers.models import Voucher, VoucherProduct
from dangol.vouchers.services import voucher_issue

CHECKOUT_PURPOSE = "voucher"


def voucher_checkout_open(*, product: VoucherProduct, buyer: User) -> Checkout:
    """Open the checkout of one voucher of `product` for `buyer` at its sale price (the order
    the payment window carries). Raise ProductNotOnSale."""
    if not product.is_active:
        raise ProductNotOnSale()
    return checkout_open(
        buyer_id=buyer.pk, amount=product.sale_price, order_name=product.name,
        purpose=CHECKOUT_PURPOSE, item_id=product.pk,
    )


def voucher_checkout_complete(
    *, buyer: User, order_id: str, payment_key: str, amount: int
) -> Voucher:
    """Confirm the payment the window returned for `buyer`'s voucher checkout `order_id` and
    issue the voucher through `voucher_issue`; return it (the same one for a reload or a
    second callback). Raise PurchaseFailed when the card is declined, and what
    `checkout_confirm` raises (CheckoutNotFound, CheckoutAmountMismatch, PaymentPending)."""
    try:
        checkout, payment = checkout_confirm(
            order_id=order_id, payment_key=payment_key, amount=amount, buyer_id=buyer.pk,
            purpose=CHECKOUT_PURPOSE,
        )
    except PaymentDeclined as declined:
        raise PurchaseFailed(message=declined.reason) from declined
    product = VoucherProduct.objects.get(pk=checkout.item_id)
    try:
        return voucher_issue(
            product=product, buyer=buyer, payment=payment, idempotency_key=f"checkout:{order_id}"
        )
    except IntegrityError:
        # A concurrent callback for the same order issued the voucher first.
        return Voucher.objects.get(payment=payment)


def voucher_checkouts_finish() -> int:
    """Issue the vouchers of checkouts whose payment the sweeper settled as captured after
    the buyer left the pending page (and close the declined ones); return how many vouchers
    were issued. Safe to rerun."""
    issued = 0
    for checkout, payment in checkouts_answered(purpose=CHECKOUT_PURPOSE):
        buyer = User.objects.get(pk=checkout.buyer_id)
        try:
            voucher_checkout_complete(
                buyer=buyer, order_id=checkout.order_id, payment_key=payment.provider_key,
                amount=checkout.amount,
            )
        except PurchaseFailed:
            continue
        issued += 1
    return issued
