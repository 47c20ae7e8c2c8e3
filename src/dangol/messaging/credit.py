"""A sender's message credit (메시지 충전금): its account, card top-ups, grants and balance, the
price per recipient of each channel, and the ledger kinds of every messaging posting."""

from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core.money import format_won
from dangol.ledger import catalogue
from dangol.ledger.models import Account, Entry, Transaction
from dangol.ledger.services import account_get_or_create, accounts_lock, ledger_transfer
from dangol.messaging.errors import CampaignInvalid, TopUpFailed
from dangol.messaging.models import Channel, MessagePrice
from dangol.messaging.selectors import sender_owner
from dangol.payments.checkout import checkout_confirm, checkout_open, checkouts_answered
from dangol.payments.errors import CheckoutNotFound, PaymentDeclined
from dangol.payments.models import Checkout, Payment
from dangol.payments.services import payment_charge
from dangol.places.models import Market, Store

DEFAULT_PRICES = {Channel.IN_APP: 15, Channel.SMS: 20, Channel.LMS: 50, Channel.EMAIL: 0}
CHARGE_KIND = "message_charge"
REFUND_KIND = "message_refund"
TOP_UP_KIND = "message_top_up"
GRANT_KIND = "message_grant"
WITHDRAW_KIND = "message_grant_withdraw"


def message_credit_account(*, store: Store | None = None, market: Market | None = None) -> Account:
    """Return the sender's message credit account (non-negative), opening it at ₩0."""
    owner_type, owner_id = sender_owner(store, market)
    sender = store or market
    return account_get_or_create(
        owner_type=owner_type, owner_id=owner_id, kind=Account.Kind.MESSAGE_CREDIT,
        non_negative=True, name=f"{sender} 메시지 충전금",
    )


def message_credit_top_up(
    *, store: Store | None = None, market: Market | None = None, amount: int, card_number: str,
    idempotency_key: str,
) -> Transaction:
    """Charge `amount` won to `card_number` through the payment provider (authorize and
    capture) and add it to the sender's message credit (cash → credit); return the posting.

    A retry with the same key charges nothing more and returns the same posting. Raise
    TopUpFailed when the card is declined, PaymentPending when the provider did not answer
    (retry with the same key), CampaignInvalid for an amount ≤ 0.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise CampaignInvalid(reason=_("충전 금액은 0원보다 커야 합니다"))
    credit = message_credit_account(store=store, market=market)
    try:
        payment = payment_charge(
            amount=amount, source=card_number, idempotency_key=f"message-credit:{idempotency_key}"
        )
    except PaymentDeclined as declined:
        raise TopUpFailed(message=declined.reason) from declined
    return _top_up_post(credit, payment=payment, idempotency_key=idempotency_key)


def _top_up_post(credit: Account, *, payment: Payment, idempotency_key: str) -> Transaction:
    """Post a captured top-up payment to the credit account (cash → credit), once per key."""
    return ledger_transfer(
        idempotency_key=f"messaging:top-up:{idempotency_key}", kind=TOP_UP_KIND,
        source=catalogue.cash_account(), destination=credit, amount=payment.amount,
        description=f"메시지 충전금 충전 {format_won(payment.amount)}",
        metadata={"payment": payment.pk},
    )


def _checkout_purpose(store: Store | None, market: Market | None) -> tuple[str, int]:
    owner_type, owner_id = sender_owner(store, market)
    return f"message_credit:{owner_type}", int(owner_id)


def message_credit_checkout_open(
    *, store: Store | None = None, market: Market | None = None, amount: int, buyer: User
) -> Checkout:
    """Open the checkout of a top-up of `amount` won for the sender, paid by `buyer` in the
    payment window. Raise CampaignInvalid for an amount ≤ 0."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise CampaignInvalid(reason=_("충전 금액은 0원보다 커야 합니다"))
    purpose, item_id = _checkout_purpose(store, market)
    sender = store or market
    return checkout_open(
        buyer_id=buyer.pk, amount=amount, purpose=purpose, item_id=item_id,
        order_name=_("%(sender)s 메시지 충전금") % {"sender": sender},
    )


def message_credit_checkout_complete(
    *, store: Store | None = None, market: Market | None = None, buyer: User, order_id: str,
    payment_key: str, amount: int,
) -> Transaction:
    """Confirm the window's payment of the sender's top-up checkout `order_id` and add it to
    the message credit; return the posting (the same one for a reload). Raise TopUpFailed
    when the card is declined, CheckoutNotFound for another sender's or buyer's order, and
    what `checkout_confirm` raises."""
    purpose, item_id = _checkout_purpose(store, market)
    if not Checkout.objects.filter(order_id=order_id, item_id=item_id).exists():
        raise CheckoutNotFound()
    try:
        _checkout, payment = checkout_confirm(
            order_id=order_id, payment_key=payment_key, amount=amount, buyer_id=buyer.pk,
            purpose=purpose,
        )
    except PaymentDeclined as declined:
        raise TopUpFailed(message=declined.reason) from declined
    credit = message_credit_account(store=store, market=market)
    return _top_up_post(credit, payment=payment, idempotency_key=f"checkout:{order_id}")


def message_credit_checkouts_finish() -> int:
    """Add the top-ups of window checkouts whose payment the sweeper settled as captured after
    the buyer left (and close the declined ones); return how many were added. Safe to rerun.
    """
    added = 0
    for owner_type in ("store", "market"):
        for checkout, payment in checkouts_answered(purpose=f"message_credit:{owner_type}"):
            store = Store.objects.get(pk=checkout.item_id) if owner_type == "store" else None
            market = Market.objects.get(pk=checkout.item_id) if owner_type == "market" else None
            try:
                message_credit_checkout_complete(
                    store=store, market=market, buyer=User.objects.get(pk=checkout.buyer_id),
                    order_id=checkout.order_id, payment_key=payment.provider_key,
                    amount=checkout.amount,
                )
            except TopUpFailed:
                continue
            added += 1
    return added


def message_credit_grant(
    *, store: Store | None = None, market: Market | None = None, amount: int,
    from_account: Account, idempotency_key: str, description: str = "",
) -> Transaction:
    """Move `amount` won from `from_account` (a program budget, a subsidy, an external
    clearing account) to the sender's message credit; return the posting (idempotent by key).
    """
    credit = message_credit_account(store=store, market=market)
    return ledger_transfer(
        idempotency_key=f"messaging:grant:{idempotency_key}", kind=GRANT_KIND,
        source=from_account, destination=credit, amount=amount,
        description=description or f"메시지 충전금 지원 {format_won(amount)}",
    )


def granted_credit_unused(*, granted: int, balance: int, top_ups: int) -> int:
    """Return how much of `granted` won of program grants is still unused in a message
    credit account holding `balance`, into which the sender topped up `top_ups` of its own.

    Granted credit is spent before the sender's own top-ups, so the grants' unused part is
    the balance less the top-ups, never below ₩0 nor above the grants (the programs' spent
    figures and a grant's withdrawal both read it here)."""
    return max(0, min(granted, balance - top_ups))


def message_credit_top_ups(account: OuterRef | int) -> Coalesce:
    """Return, as an expression, the won the message credit account `account` (an id, or an
    OuterRef to one in a query over entries or accounts) received from card top-ups."""
    total = (
        Entry.objects.filter(account_id=account, transaction__kind=TOP_UP_KIND)
        .values("account_id").order_by().annotate(total=Sum("amount")).values("total")[:1]
    )
    return Coalesce(Subquery(total), 0)


def message_credit_withdraw(
    *, store: Store | None = None, market: Market | None = None, granted: int,
    to_account: Account, idempotency_key: str, description: str = "",
) -> Transaction | None:
    """Move back to `to_account` what is still unused of `granted` won of a grant to the
    sender's message credit (a withdrawn program grant, `granted_credit_unused`: the
    sender's own top-ups are never taken); return the posting, None if nothing was unused.
    Locks the credit account; a retry with the same key returns the first posting."""
    credit = message_credit_account(store=store, market=market)
    key = f"messaging:withdraw:{idempotency_key}"
    with transaction.atomic():
        done = Transaction.objects.filter(idempotency_key=key).first()
        if done is not None:
            return done
        balance = accounts_lock([credit.pk])[credit.pk].balance
        top_ups = Account.objects.filter(pk=credit.pk).values_list(
            message_credit_top_ups(credit.pk), flat=True
        ).get()
        unused = granted_credit_unused(granted=granted, balance=balance, top_ups=top_ups)
        if not unused:
            return None
        return ledger_transfer(
            idempotency_key=key, kind=WITHDRAW_KIND, source=credit, destination=to_account,
            amount=unused,
            description=description or f"메시지 충전금 지원 회수 {format_won(unused)}",
        )


@transaction.atomic
def message_price_set(*, channel: str, price: int, actor: User | None) -> MessagePrice:
    """Set the price per recipient of `channel` in won and record the change, with the
    price before, in the audit log as `actor`'s; return the price row."""
    before = message_prices().get(channel)
    row, _created = MessagePrice.objects.select_for_update().update_or_create(
        channel=channel, defaults={"price": price}
    )
    audit_record(
        action=AuditEntry.Action.PRICE_CHANGE, actor=actor, subject=f"message_price:{channel}",
        amount=price, details={"before": before},
    )
    return row


@transaction.atomic
def message_price_reset(*, channel: str, actor: User | None) -> int:
    """Delete the operator's price of `channel`, so its default applies again, and record the
    change, with the price before, in the audit log as `actor`'s; return the price now in
    force. A channel on its default already changes nothing and records nothing."""
    row = MessagePrice.objects.select_for_update().filter(channel=channel).first()
    if row is not None:
        row.delete()
    now = message_prices().get(channel, 0)
    if row is not None:
        audit_record(
            action=AuditEntry.Action.PRICE_CHANGE, actor=actor,
            subject=f"message_price:{channel}", amount=now,
            details={"before": row.price, "reset": True},
        )
    return now


def message_prices() -> dict[str, int]:
    """Return the price per recipient of every channel, in won (operator rows over defaults)."""
    prices = {str(channel): price for channel, price in DEFAULT_PRICES.items()}
    prices.update(MessagePrice.objects.values_list("channel", "price"))
    return prices
