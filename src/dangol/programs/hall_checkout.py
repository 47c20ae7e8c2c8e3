"""Buying a promotion-hall item through the provider's payment window.

The checkout is opened when the buyer goes to the window; the program's share is reserved
only when the window returns, just before confirm (Toss charges nothing until confirm), so a
buyer who never comes back holds no budget. The purchase itself is `hall.hall_buy`: reserve,
charge (here: confirm the checkout), issue, book the share; a declined card releases it.
"""

from dangol.accounts.models import User
from dangol.payments.checkout import (
    checkout_check,
    checkout_confirm,
    checkout_open,
    checkouts_answered,
)
from dangol.payments.models import Checkout
from dangol.programs.errors import HallClosed
from dangol.programs.hall import hall_buy, hall_voucher_product
from dangol.programs.models import HallItem, Program
from dangol.vouchers.errors import PurchaseFailed
from dangol.vouchers.models import Voucher

CHECKOUT_PURPOSE = "hall"


def hall_checkout_open(*, item: HallItem, buyer: User) -> Checkout:
    """Open the checkout of one `item` for `buyer` at its sale price. Raise HallClosed for an
    item or program no longer on sale."""
    fresh = HallItem.objects.select_related("program").get(pk=item.pk)
    if not fresh.is_active or fresh.program.status != Program.Status.OPEN:
        raise HallClosed()
    product = hall_voucher_product(item=fresh)
    return checkout_open(
        buyer_id=buyer.pk, amount=product.sale_price, order_name=product.name,
        purpose=CHECKOUT_PURPOSE, item_id=fresh.pk,
    )


def hall_checkout_complete(
    *, buyer: User, order_id: str, payment_key: str, amount: int
) -> Voucher:
    """Reserve the share, confirm the window's payment of `buyer`'s hall checkout `order_id`
    and issue the voucher; return it (the same one for a reload). Raise what
    `checkout_check` raises before anything is reserved, then what `hall_buy` raises
    (HallBudgetExhausted before any charge, PurchaseFailed for a declined card)."""
    checkout = checkout_check(
        order_id=order_id, amount=amount, buyer_id=buyer.pk, purpose=CHECKOUT_PURPOSE
    )
    item = HallItem.objects.select_related("program").get(pk=checkout.item_id)
    return hall_buy(
        item=item, buyer=buyer, idempotency_key=f"checkout:{order_id}",
        charge=lambda _amount: checkout_confirm(
            order_id=order_id, payment_key=payment_key, amount=amount, buyer_id=buyer.pk,
            purpose=CHECKOUT_PURPOSE,
        )[1],
    )


def hall_checkouts_finish() -> int:
    """Issue the vouchers of hall checkouts whose payment the sweeper settled as captured
    after the buyer left (a declined one releases its share); return how many were issued.
    Safe to rerun."""
    issued = 0
    for checkout, payment in checkouts_answered(purpose=CHECKOUT_PURPOSE):
        try:
            hall_checkout_complete(
                buyer=User.objects.get(pk=checkout.buyer_id), order_id=checkout.order_id,
                payment_key=payment.provider_key, amount=checkout.amount,
            )
        except PurchaseFailed:
            continue
        issued += 1
    return issued
