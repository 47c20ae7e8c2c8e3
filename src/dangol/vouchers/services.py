"""Writes on vouchers: products, purchase, gift, redemption, refund.

The terms and the checks that apply them are in rules.py, the PostgreSQL redemption fast
path in fastpath.py, validity (the holder's extension, expiry notices) in validity.py.

Ledger scheme (amounts are what flows into an account; every posting sums to zero). For a
voucher of face value F sold at S (S ≤ F; D = F − S is the issuer's discount):

| posting           | entries                                                              |
|-------------------|----------------------------------------------------------------------|
| purchase          | cash −S · issuer discount_expense −D · voucher liability +F          |
| redemption of A   | voucher liability −A · store_payable(store) +(A − fee) ·             |
|                   | platform_fee_revenue(store) +fee, fee = ⌊A × fee_bp / 10000⌋ ≤ cap   |
| refund, booked    | voucher liability −B · refund_clearing +R · issuer discount_expense  |
|                   | +(B − R), B = balance, R = what the customer gets back               |
| refund, paid      | refund_clearing −R · cash +R (after the provider confirmed)          |
| refund, refused   | the reversal of the booking (the provider refused the card refund)   |

The customer's S and the issuer's D together fund the F the voucher holds; the issuer's
`discount_expense` account goes negative by what it owes (settlement nets it). Whatever of
a refunded balance is not paid back (the discount share, the 10% kept after expiry) returns
to the issuer's `discount_expense`. Platform accounts have no owner; `store_payable` is
owned by ("store", store id) and may go negative (settlement reads it); a voucher's
liability account by ("voucher", voucher id), non-negative. The platform's fee revenue from
redemptions is kept per store (kind `platform_fee_revenue`, owner ("store", store id)): the
platform's revenue is the sum over that kind, fees by store can be read directly, and no
row is shared by the redemptions of different stores (a single revenue row would serialise
every redemption in the country on its lock until COMMIT).

Locks: a service that changes a voucher locks its row first (`vouchers_lock`), then the
ledger locks accounts (`accounts_lock`), always in that order and in primary-key order.
Payment-provider calls run outside the voucher's transaction (they must not hold a lock
across the network), so a purchase is "pay, then issue" and a refund is "book, then pay";
each step is idempotent and a retry with the same key finishes what was left. A refund the
provider refuses is rolled back (its booking reversed), never left in refund clearing.
"""

from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core import clock
from dangol.core.clock import KST
from dangol.core.errors import IdempotencyKeyReused
from dangol.core.ids import random_code, token_urlsafe
from dangol.core.money import format_won
from dangol.core.phone import mobile_normalize
from dangol.ledger import catalogue
from dangol.ledger.models import Account, Transaction
from dangol.ledger.services import (
    account_get_or_create,
    ledger_post,
    ledger_reverse,
    ledger_transfer,
)
from dangol.notices.models import Notice
from dangol.notices.services import notice_send
from dangol.payments.errors import (
    PaymentDeclined,
    PaymentRejected,
    PaymentStateError,
    RefundExceedsCaptured,
)
from dangol.payments.models import Payment, PaymentOperation
from dangol.payments.services import payment_charge, payment_refund
from dangol.places.models import Market, Store
from dangol.vouchers.errors import (
    FeeAboveCap,
    InvalidAmount,
    InvalidVoucherProduct,
    ProductNotOnSale,
    PurchaseFailed,
    RefundFailed,
    VoucherExpired,
    VoucherNotActive,
)
from dangol.vouchers.fastpath import voucher_redeem_fast
from dangol.vouchers.models import (
    LEDGER_OWNER_TYPE,
    Redemption,
    Refund,
    Voucher,
    VoucherGift,
    VoucherProduct,
)
from dangol.vouchers.rules import (
    MIN_VALIDITY_MONTHS,
    REDEEM_KIND,
    fee_cap_bp,
    redeem_check,
    redeem_fee,
    redeem_ledger_key,
    redeem_metadata,
    redemption_audit,
    voucher_expiry,
    voucher_product_check,
    voucher_refund_check,
)
from dangol.vouchers.selectors import voucher_account

# --- products -------------------------------------------------------------------------------


@transaction.atomic
def voucher_product_create(
    *,
    name: str,
    face_value: int,
    sale_price: int,
    store: Store | None = None,
    market: Market | None = None,
    kind: str = VoucherProduct.Kind.AMOUNT,
    product_name: str = "",
    validity_months: int = MIN_VALIDITY_MONTHS,
    is_perishable: bool = False,
    fee_bp: int = 0,
    accepted_stores: Iterable[Store] = (),
) -> VoucherProduct:
    """Create a voucher product issued by `store` or by `market` and return it.

    Raise FeeAboveCap if `fee_bp` is above the configured cap and InvalidVoucherProduct
    with every problem `voucher_product_check` finds.
    """
    stores = list(accepted_stores)
    if fee_bp > fee_cap_bp():
        raise FeeAboveCap(fee=f"{fee_bp / 100:g}%", cap=f"{fee_cap_bp() / 100:g}%")
    problems = voucher_product_check(
        store=store, market=market, kind=kind, product_name=product_name,
        face_value=face_value, sale_price=sale_price, validity_months=validity_months,
        is_perishable=is_perishable, fee_bp=fee_bp, accepted_stores=stores,
    )
    if problems:
        raise InvalidVoucherProduct(reason="; ".join(problems))
    product = VoucherProduct.objects.create(
        name=name, kind=kind, product_name=product_name.strip(), store=store, market=market,
        face_value=face_value, sale_price=sale_price, validity_months=validity_months,
        is_perishable=is_perishable, fee_bp=fee_bp,
    )
    if stores:
        product.accepted_stores.set(stores)
    return product


def voucher_accepted_at(*, product: VoucherProduct, store: Store) -> bool:
    """Return True if vouchers of `product` may be redeemed at `store`."""
    if product.store_id is not None:
        return product.store_id == store.pk
    if store.market_id != product.market_id:
        return False
    accepted = product.accepted_stores.all()
    return not accepted.exists() or accepted.filter(pk=store.pk).exists()


# --- ledger accounts ------------------------------------------------------------------------


def _issuer_discount_account(product: VoucherProduct) -> Account:
    owner_type, owner_id = product.issuer_owner
    return catalogue.discount_expense_account(owner_type=owner_type, owner_id=owner_id)


def vouchers_lock(ids: Iterable[int]) -> dict[int, Voucher]:
    """Lock the vouchers `ids` in primary-key order and return them, freshly read, by id.

    Call inside a transaction. Raise Voucher.DoesNotExist if one is missing.
    """
    wanted = sorted(set(ids))
    vouchers = {
        voucher.pk: voucher
        for voucher in Voucher.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
    }
    if len(vouchers) != len(wanted):
        raise Voucher.DoesNotExist()
    return vouchers


def _balance_mirror(voucher: Voucher, balance: int, status: str) -> None:
    """Copy the ledger balance (and the status it implies) onto the locked voucher row."""
    voucher.balance = balance
    voucher.status = status
    voucher.save(update_fields=["balance", "status", "updated_at"])


# --- purchase and gift ----------------------------------------------------------------------


def voucher_purchase(
    *, product: VoucherProduct, buyer: User, card_number: str, idempotency_key: str
) -> Voucher:
    """Charge the product's sale price to `card_number` and issue a voucher to `buyer`.

    Authorize and capture through the payment provider first (outside the voucher's
    transaction), then issue the voucher and post the purchase in one transaction. A retry
    with the same `idempotency_key` returns the same voucher without charging again.
    Raise ProductNotOnSale, PurchaseFailed when the card is declined, PaymentPending when
    the provider did not answer (retry with the same key), IdempotencyKeyReused if the key
    was used for another product or buyer.
    """
    existing = Voucher.objects.filter(purchase_key=idempotency_key).first()
    if existing is not None:
        if existing.product_id != product.pk or existing.buyer_id != buyer.pk:
            raise IdempotencyKeyReused()
        return existing
    if not product.is_active:
        raise ProductNotOnSale()
    try:
        payment = payment_charge(
            amount=product.sale_price, source=card_number,
            idempotency_key=f"voucher-purchase:{idempotency_key}",
        )
    except PaymentDeclined as declined:
        raise PurchaseFailed(message=declined.reason) from declined
    try:
        return voucher_issue(
            product=product, buyer=buyer, payment=payment, idempotency_key=idempotency_key
        )
    except IntegrityError:
        # A concurrent retry with the same key issued the voucher first.
        return Voucher.objects.get(payment=payment)


@transaction.atomic
def voucher_issue(
    *, product: VoucherProduct, buyer: User, payment: Payment, idempotency_key: str
) -> Voucher:
    """Create the voucher of a captured payment, its ledger account and the purchase posting;
    return it (the same one for the same payment). The second half of `voucher_purchase`,
    public for sellers that take the payment themselves (the promotion hall), also for
    products not on sale in the shop."""
    existing = Voucher.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    now = clock.now()
    face, sale = product.face_value, product.sale_price
    code, qr_token = _voucher_keys()
    voucher = Voucher.objects.create(
        product=product, buyer=buyer, holder=buyer, holder_phone=buyer.phone or "",
        code=code, qr_token=qr_token, face_value=face, balance=face,
        purchased_at=now,
        expires_at=voucher_expiry(purchased_at=now, validity_months=product.validity_months),
        payment=payment, purchase_key=idempotency_key,
    )
    liability = account_get_or_create(
        owner_type=LEDGER_OWNER_TYPE, owner_id=voucher.pk, kind=Account.Kind.VOUCHER_LIABILITY,
        non_negative=True, name=f"상품권 {voucher.code}",
    )
    entries = [(catalogue.cash_account(), -sale), (liability, face)]
    if face > sale:
        entries.append((_issuer_discount_account(product), -(face - sale)))
    ledger_post(
        idempotency_key=f"voucher:{voucher.pk}:purchase", kind="voucher_purchase",
        entries=entries, description=product.name,
        metadata={"voucher": voucher.pk, "payment": payment.pk},
    )
    return voucher


@transaction.atomic
def voucher_gift(*, voucher: Voucher, to_phone: str, message: str = "") -> VoucherGift:
    """Give the voucher to the mobile number `to_phone` and notify it; return the gift.

    The number becomes the holder (and its user, if one has signed up with it). The voucher
    is re-keyed: a new counter code and QR token, so that what the giver has seen or kept
    (a screenshot, the code) no longer spends it; the old ones are unknown codes. Raise
    InvalidPhone for a number that is not a Korean mobile number, VoucherNotActive for a
    used or refunded voucher and VoucherExpired after its validity. Locks the voucher.
    """
    number = mobile_normalize(to_phone)
    locked = vouchers_lock([voucher.pk])[voucher.pk]
    _check_usable(locked)
    gift = VoucherGift.objects.create(
        voucher=locked, from_phone=locked.holder_phone, to_phone=number, message=message[:200],
        created_at=clock.now(),
    )
    locked.holder_phone = number
    locked.holder = User.objects.filter(phone=number).first()
    locked.code, locked.qr_token = _voucher_keys()
    locked.save(update_fields=["holder_phone", "holder", "code", "qr_token", "updated_at"])
    product = VoucherProduct.objects.get(pk=locked.product_id)
    body = gettext("%(product)s (잔액 %(balance)s)을 선물 받았습니다.") % {
        "product": product.name, "balance": format_won(locked.balance),
    }
    if message:
        body += "\n" + gettext("보낸 분의 메시지: %(message)s") % {"message": message[:200]}
    notice_send(
        user=locked.holder, phone=number, kind=Notice.Kind.VOUCHER_RECEIVED,
        title=gettext("상품권이 도착했습니다"), body=body,
        idempotency_key=f"voucher-gift:{gift.pk}",
    )
    voucher.holder_phone, voucher.holder = locked.holder_phone, locked.holder
    voucher.code, voucher.qr_token = locked.code, locked.qr_token
    return gift


def _voucher_keys() -> tuple[str, str]:
    """Return a new bearer pair for a voucher: the counter code and the QR token."""
    return random_code(12), token_urlsafe(24)


def _check_usable(voucher: Voucher) -> None:
    """Raise VoucherNotActive or VoucherExpired unless the voucher can be used now."""
    if voucher.status != Voucher.Status.ACTIVE:
        raise VoucherNotActive(status=voucher.get_status_display())
    if voucher.is_expired(clock.now()):
        raise VoucherExpired(until=voucher.valid_until.astimezone(KST).strftime("%Y-%m-%d %H:%M"))


# --- redemption -----------------------------------------------------------------------------


def voucher_redeem(
    *, voucher: Voucher, store: Store, amount: int, staff: User, idempotency_key: str
) -> Redemption:
    """Take `amount` won off the voucher at `store` and return the redemption.

    The store is owed `amount` less the platform fee (⌊amount × fee_bp / 10000⌋, fee_bp
    never above the cap). A retry with the same `idempotency_key` returns the first
    redemption. Raise NotAccepted if the store is outside the voucher's scope,
    VoucherExpired after its validity, VoucherNotActive once refunded, PartialUseNotAllowed
    for a product voucher not used whole, InsufficientBalance if the balance is short,
    IdempotencyKeyReused if the key was used for another redemption. One transaction that
    locks the voucher row, then its ledger accounts, and records a new redemption (not a
    replay) in the audit log (`rules.redemption_audit`).

    On PostgreSQL a redemption that will succeed takes three statements in one transaction
    (`fastpath.voucher_redeem_fast`); anything else (a refusal, a retry, an account not opened yet)
    goes through the ORM path, the reference, in a transaction of its own, which says why.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidAmount()
    if connection.vendor == "postgresql":
        redeemed = voucher_redeem_fast(
            voucher=voucher, store=store, amount=amount, staff=staff,
            idempotency_key=idempotency_key,
        )
        if redeemed is not None:
            return redeemed
    return _voucher_redeem_orm(
        voucher=voucher, store=store, amount=amount, staff=staff, idempotency_key=idempotency_key
    )


@transaction.atomic
def _voucher_redeem_orm(
    *, voucher: Voucher, store: Store, amount: int, staff: User, idempotency_key: str
) -> Redemption:
    """Redeem through the ORM: lock, look up, check, `ledger_post`, mirror, record."""
    locked = vouchers_lock([voucher.pk])[voucher.pk]
    existing = Redemption.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if (existing.voucher_id, existing.store_id, existing.amount) != (
            locked.pk, store.pk, amount,
        ):
            raise IdempotencyKeyReused()
        return existing
    product = VoucherProduct.objects.get(pk=locked.product_id)
    accepted = voucher_accepted_at(product=product, store=store)
    redeem_check(voucher=locked, kind=product.kind, accepted=accepted, amount=amount)
    fee = redeem_fee(amount, product.fee_bp)
    liability = voucher_account(voucher=locked)
    entries = [(liability, -amount)]
    if amount > fee:
        payable = catalogue.store_payable_account(store_id=store.pk, store_name=store.name)
        entries.append((payable, amount - fee))
    if fee:
        revenue = catalogue.store_fee_revenue_account(store_id=store.pk, store_name=store.name)
        entries.append((revenue, fee))
    posted = ledger_post(
        idempotency_key=redeem_ledger_key(locked.pk, idempotency_key), kind=REDEEM_KIND,
        entries=entries, description=store.name,
        metadata=redeem_metadata(voucher_id=locked.pk, store_id=store.pk, fee=fee),
    )
    status = Voucher.Status.ACTIVE if liability.balance else Voucher.Status.USED
    _balance_mirror(locked, liability.balance, status)
    voucher.balance, voucher.status = locked.balance, locked.status
    redemption = Redemption.objects.create(
        voucher=locked, store=store, staff=staff, amount=amount, fee=fee,
        idempotency_key=idempotency_key, ledger_transaction=posted, created_at=clock.now(),
    )
    redemption_audit(voucher_id=locked.pk, store_id=store.pk, redemption_id=redemption.pk,
                     amount=amount, staff=staff)
    return redemption


# --- refund ---------------------------------------------------------------------------------



def voucher_refund(
    *, voucher: Voucher, idempotency_key: str, reason: str = "", actor: User | None = None
) -> Refund:
    """Refund the voucher's whole balance under the rule that applies and return the refund.

    Book it first (one transaction: the balance leaves the voucher, which becomes
    REFUNDED), then pay it back through the payment provider and post clearing → cash. The
    refund completes or rolls back:
    - the provider refused the card refund (or the payment cannot be refunded): the
      booking is reversed, the balance is on the voucher again and RefundFailed is raised;
      a retry with the same key books and asks the provider again;
    - the provider did not answer: the refund stays booked and PaymentPending is raised; a
      retry with the same key asks again under the same provider key and finishes it.
    The refund paid is recorded in the audit log as `actor`'s (the holder, or None for a
    command), once. Raise RefundRefused naming the rule (see `voucher_refund_check`),
    IdempotencyKeyReused if the key belongs to another voucher's refund.
    """
    refund = _refund_book(voucher=voucher, idempotency_key=idempotency_key, reason=reason)
    if refund.paid_at is None:
        payment = Payment.objects.get(voucher__pk=refund.voucher_id)
        try:
            payment_refund(
                payment=payment, amount=refund.amount,
                idempotency_key=_refund_payment_key(refund),
                reason=refund.reason or refund.get_rule_display(),
            )
        except (PaymentRejected, PaymentStateError, RefundExceedsCaptured) as refused:
            _refund_roll_back(refund_id=refund.pk)
            voucher.refresh_from_db(fields=["balance", "status"])
            raise RefundFailed(message=refused.message) from refused
        refund = _refund_settle(refund_id=refund.pk, actor=actor)
    voucher.balance, voucher.status = 0, Voucher.Status.REFUNDED
    return refund


def voucher_refunds_finish() -> int:
    """Finish the refunds left booked by a provider that did not answer, once the payments
    sweeper has its final answer: a refund the provider made is paid (clearing → cash, audit
    entry by nobody: the task's), one it refused is rolled back. Return how many finished.
    Safe to rerun."""
    finished = 0
    for refund in Refund.objects.filter(paid_at__isnull=True).order_by("pk"):
        status = (
            PaymentOperation.objects.filter(idempotency_key=_refund_payment_key(refund))
            .values_list("status", flat=True)
            .first()
        )
        if status == PaymentOperation.Status.SUCCEEDED:
            _refund_settle(refund_id=refund.pk, actor=None)
        elif status == PaymentOperation.Status.FAILED:
            _refund_roll_back(refund_id=refund.pk)
        else:
            continue
        finished += 1
    return finished


def _refund_booking_key(voucher_id: int, refund_id: int) -> str:
    """Return the ledger key of a refund's booking: one per attempt (a rolled-back attempt
    keeps its booking and reversal in the ledger; the next one posts under its own key)."""
    return f"voucher:{voucher_id}:refund:{refund_id}"


def _refund_payment_key(refund: Refund) -> str:
    """Return the payment provider's key of a refund attempt: the same on every retry of
    the attempt, a new one for a new attempt after a roll-back."""
    return f"voucher-refund:{refund.voucher_id}:{refund.pk}"


@transaction.atomic
def _refund_book(*, voucher: Voucher, idempotency_key: str, reason: str) -> Refund:
    """Check the rules and book the refund; return it (or the one booked under the key)."""
    locked = vouchers_lock([voucher.pk])[voucher.pk]
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.voucher_id != locked.pk:
            raise IdempotencyKeyReused()
        return existing
    quote = voucher_refund_check(voucher=locked)
    product = VoucherProduct.objects.get(pk=locked.product_id)
    refund = Refund.objects.create(
        voucher=locked, rule=quote.rule, balance=quote.balance, amount=quote.amount,
        reason=reason[:200], idempotency_key=idempotency_key, created_at=clock.now(),
    )
    entries = [
        (voucher_account(voucher=locked), -quote.balance),
        (catalogue.refund_clearing_account(), quote.amount),
    ]
    if quote.balance > quote.amount:
        entries.append((_issuer_discount_account(product), quote.balance - quote.amount))
    ledger_post(
        idempotency_key=_refund_booking_key(locked.pk, refund.pk), kind="voucher_refund",
        entries=entries, description=str(Refund.Rule(quote.rule).label),
        metadata={"voucher": locked.pk, "rule": quote.rule, "refund": refund.pk},
    )
    _balance_mirror(locked, 0, Voucher.Status.REFUNDED)
    return refund


@transaction.atomic
def _refund_roll_back(*, refund_id: int) -> None:
    """Undo an unpaid refund's booking: reverse its posting, put the balance back on the
    voucher and delete the refund, so the voucher can be refunded again. Locks the voucher,
    then the refund; does nothing if the refund is gone or was paid meanwhile."""
    voucher_id = Refund.objects.filter(pk=refund_id).values_list("voucher_id", flat=True).first()
    if voucher_id is None:
        return
    locked = vouchers_lock([voucher_id])[voucher_id]
    refund = Refund.objects.select_for_update().filter(pk=refund_id).first()
    if refund is None or refund.paid_at is not None:
        return
    booking = Transaction.objects.get(idempotency_key=_refund_booking_key(locked.pk, refund.pk))
    ledger_reverse(
        transaction=booking, idempotency_key=f"{booking.idempotency_key}:rolled-back",
        description=gettext("카드 환불 거절로 환불 취소"),
    )
    balance = voucher_account(voucher=locked).balance
    _balance_mirror(
        locked, balance, Voucher.Status.ACTIVE if balance else Voucher.Status.USED
    )
    refund.delete()


@transaction.atomic
def _refund_settle(*, refund_id: int, actor: User | None) -> Refund:
    """Record that the provider paid the refund back: clearing → cash, and the audit entry
    as `actor`'s, once. Locks it."""
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.paid_at is not None:
        return refund
    ledger_transfer(
        idempotency_key=f"voucher:{refund.voucher_id}:refund-paid", kind="voucher_refund_paid",
        source=catalogue.refund_clearing_account(),
        destination=catalogue.cash_account(), amount=refund.amount,
        metadata={"voucher": refund.voucher_id},
    )
    refund.paid_at = clock.now()
    refund.save(update_fields=["paid_at", "updated_at"])
    audit_record(
        action=AuditEntry.Action.VOUCHER_REFUND, actor=actor,
        subject=f"voucher:{refund.voucher_id}", amount=refund.amount,
        details={"refund": refund.pk, "rule": refund.rule, "balance": refund.balance},
    )
    return refund
