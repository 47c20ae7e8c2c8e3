"""A sender's message credit (메시지 충전금): its account, card top-ups, grants and balance, the
price per recipient of each channel, and the ledger kinds of every messaging posting."""

from django.db import transaction
from django.utils.translation import gettext as _

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core.money import format_won
from dangol.ledger import catalogue
from dangol.ledger.models import Account, Transaction
from dangol.ledger.services import account_get_or_create, ledger_transfer
from dangol.messaging.errors import CampaignInvalid, TopUpFailed
from dangol.messaging.models import Channel, MessagePrice
from dangol.messaging.selectors import sender_owner
from dangol.payments.errors import PaymentDeclined
from dangol.payments.services import payment_charge
from dangol.places.models import Market, Store

DEFAULT_PRICES = {Channel.IN_APP: 15, Channel.SMS: 20, Channel.LMS: 50, Channel.EMAIL: 0}
CHARGE_KIND = "message_charge"
REFUND_KIND = "message_refund"
TOP_UP_KIND = "message_top_up"
GRANT_KIND = "message_grant"


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
    return ledger_transfer(
        idempotency_key=f"messaging:top-up:{idempotency_key}", kind=TOP_UP_KIND,
        source=catalogue.cash_account(), destination=credit, amount=amount,
        description=f"메시지 충전금 충전 {format_won(amount)}",
        metadata={"payment": payment.pk},
    )


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


def message_prices() -> dict[str, int]:
    """Return the price per recipient of every channel, in won (operator rows over defaults)."""
    prices = {str(channel): price for channel, price in DEFAULT_PRICES.items()}
    prices.update(MessagePrice.objects.values_list("channel", "price"))
    return prices
