"""The promotion hall (기획전): an operator lists products of eligible stores with a
discount, customers buy them as prepaid product vouchers (교환권), and the program pays its
share of each discount from its budget. The hall closes itself when the budget is spent.

Ledger scheme of one hall purchase of an item with price P, discount D and share s =
⌊D × share_bp / 10000⌋ (the program's part of D), sold at S = P − D:

| step      | posting (kind)                  | entries                                       |
|-----------|---------------------------------|-----------------------------------------------|
| reserve   | program_hall_reserve            | program budget −s · hall hold +s              |
| pay       | (card through the provider)     | —                                             |
| issue     | voucher_purchase (vouchers app) | cash −S · store discount_expense −D ·         |
|           |                                 | voucher liability +P                          |
| share     | program_hall_share              | hall hold −s · store discount_expense +s      |
| declined  | program_hall_release            | hall hold −s · program budget +s              |
| refunded  | program_hall_return             | store discount_expense −s · program budget +s |

So the store bears D − s of the discount and the program s; the program budget account
(kind `program_budget`, owner ("program", id), non-negative) pays it. The share is reserved
under the budget account's row lock BEFORE the card is charged, so a purchase the budget
cannot cover is refused without charging, and concurrent purchases can never overspend: the
hold account (kind `program_budget`, owner ("program_hall", id), non-negative) carries the
shares of purchases whose payment is in flight. A declined card releases the reservation;
an unanswered one keeps it, and a retry with the same key finishes the purchase.

A refunded hall voucher gives the store's discount_expense back the whole discount D (the
vouchers app's refund booking); `hall_refunds_reconcile` then returns the program's share s
from it to the budget, so the program pays only for vouchers that were not refunded.

Promotion budget: the program's `promotion_support` benefit's `amount` when it is set,
capped by what the budget account holds; without it, whatever the budget account holds.
used = shares reserved net of releases and returns, spent = used less what is on hold, remaining =
min(budget balance, cap − used). An item whose share the remaining budget cannot cover is
closed (is_active False), and every item is closed when the remaining budget reaches ₩0.

The voucher product of an item is a store-issued product voucher (교환권) with face value P
and sale price S, kept off the voucher shop (is_active False): only the hall sells it, so
no sale escapes the program's share. It is found by its name, "기획전 #<item id> …".
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core.errors import IdempotencyKeyReused
from dangol.ledger import catalogue
from dangol.ledger.models import Account, Entry, Transaction
from dangol.ledger.services import account_get_or_create, accounts_lock, ledger_transfer
from dangol.payments.errors import PaymentDeclined
from dangol.payments.models import Payment
from dangol.payments.services import payment_charge
from dangol.places.models import Product, Store
from dangol.programs.errors import HallBudgetExhausted, HallClosed, HallItemInvalid
from dangol.programs.models import (
    BASIS_POINTS,
    Application,
    Benefit,
    HallItem,
    Program,
)
from dangol.programs.rules import program_covers_store, stores_covered_q
from dangol.programs.services import program_budget_account
from dangol.vouchers.errors import PurchaseFailed
from dangol.vouchers.models import Voucher, VoucherProduct
from dangol.vouchers.services import voucher_issue, voucher_product_create

KIND_RESERVE = "program_hall_reserve"
KIND_RELEASE = "program_hall_release"
KIND_SHARE = "program_hall_share"
KIND_RETURN = "program_hall_return"
HOLD_OWNER_TYPE = "program_hall"


@dataclass(frozen=True)
class HallBudget:
    """A program's promotion budget in won: cap (None = the budget account), used
    (reserved net of releases), spent (booked to stores) and remaining."""

    cap: int | None
    used: int
    spent: int
    remaining: int

    @property
    def total(self) -> int:
        """Return what the gauge is measured against: the cap, else used + remaining."""
        return self.cap if self.cap is not None else self.used + self.remaining

    @property
    def remaining_percent(self) -> int:
        """Return the remaining budget as a whole percentage of `total` (0–100)."""
        return min(100, self.remaining * 100 // self.total) if self.total else 0


# --- accounts -------------------------------------------------------------------------------


def hall_hold_account(*, program: Program) -> Account:
    """Return the account holding the shares of hall purchases whose payment is in flight."""
    return account_get_or_create(
        owner_type=HOLD_OWNER_TYPE, owner_id=program.pk, kind=Account.Kind.PROGRAM_BUDGET,
        non_negative=True, name=f"{program.name} 기획전 결제 대기",
    )


# --- selectors ------------------------------------------------------------------------------


def hall_share(*, item: HallItem) -> int:
    """Return the program's share of the item's discount in won (rounded down)."""
    return item.discount * item.share_bp // BASIS_POINTS


def _promotion_cap(program: Program) -> int | None:
    amount = (
        Benefit.objects.filter(program=program, kind=Benefit.Kind.PROMOTION_SUPPORT)
        .values_list("amount", flat=True).first()
    )
    return amount or None


def _budget_sum(budget: Account, kinds: list[str]) -> int:
    total = Entry.objects.filter(account=budget, transaction__kind__in=kinds).aggregate(
        total=Sum("amount")
    )["total"]
    return int(total or 0)


def _budget_of(program: Program, budget: Account, held: int) -> HallBudget:
    cap = _promotion_cap(program)
    used = -_budget_sum(budget, [KIND_RESERVE, KIND_RELEASE, KIND_RETURN])
    remaining = budget.balance if cap is None else max(0, min(budget.balance, cap - used))
    return HallBudget(cap=cap, used=used, spent=used - held, remaining=remaining)


def hall_budget(*, program: Program) -> HallBudget:
    """Return the program's promotion budget (see the module's docstring for the rules)."""
    held = (
        Account.objects.filter(
            owner_type=HOLD_OWNER_TYPE, owner_id=program.pk, kind=Account.Kind.PROGRAM_BUDGET
        ).values_list("balance", flat=True).first()
    )
    return _budget_of(program, program_budget_account(program=program), int(held or 0))


def hall_items(*, program: Program, active_only: bool = False) -> list[HallItem]:
    """Return the program's hall items with store and product, each carrying `sale_price`
    and `share` (won), in listing order."""
    queryset = HallItem.objects.filter(program=program).select_related(
        "store", "store__market", "product"
    )
    if active_only:
        queryset = queryset.filter(is_active=True)
    items = list(queryset.order_by("-is_active", "id"))
    for item in items:
        item.sale_price = item.price - item.discount  # type: ignore[attr-defined]
        item.share = hall_share(item=item)  # type: ignore[attr-defined]
    return items


def hall_is_open(*, program: Program) -> bool:
    """Return True if the program is open and at least one of its hall items is on sale."""
    return (
        program.status == Program.Status.OPEN
        and HallItem.objects.filter(program=program, is_active=True).exists()
    )


def hall_store_eligible(*, program: Program, store: Store) -> bool:
    """Return True if `store` may be listed: its application to the program was approved,
    or it is in the program's scope (`rules.program_covers_store`)."""
    if Application.objects.filter(
        program=program, store=store, status=Application.Status.APPROVED
    ).exists():
        return True
    return program_covers_store(program=program, store=store)


def hall_stores_eligible(*, program: Program) -> QuerySet[Store]:
    """Return the stores `hall_store_eligible` accepts, in one query: approved applicants
    and the stores in the program's scope (`rules.stores_covered_q`)."""
    approved = Application.objects.filter(
        program=program, store=OuterRef("pk"), status=Application.Status.APPROVED
    )
    return Store.objects.filter(Q(Exists(approved)) | stores_covered_q(program=program))


def hall_voucher_product(*, item: HallItem) -> VoucherProduct:
    """Return the voucher product the hall sells for `item`."""
    if item.voucher_product_id is None:
        raise VoucherProduct.DoesNotExist(f"hall item {item.pk} has no voucher product")
    return VoucherProduct.objects.get(pk=item.voucher_product_id)


# --- services -------------------------------------------------------------------------------


@transaction.atomic
def hall_item_add(
    *, program: Program, product: Product, discount: int, share_bp: int,
    actor: User | None = None,
) -> HallItem:
    """List `product` in the program's hall at its price less `discount`, the program
    paying `share_bp` of the discount; create its voucher product and return the item.
    The share the budget pays per sale is recorded in the audit log as `actor`'s.

    Raise HallItemInvalid naming every problem: a closed program, a store not eligible, a
    discount not between ₩1 and the price, a share above 100%, the product listed already.
    """
    store = Store.objects.get(pk=product.store_id)
    price = product.price
    problems: list[str] = []
    if program.status == Program.Status.CLOSED:
        problems.append(gettext("종료된 사업입니다"))
    if not hall_store_eligible(program=program, store=store):
        problems.append(gettext("사업 대상이 아니거나 승인되지 않은 가게입니다"))
    if not 0 < discount < price:
        problems.append(gettext("할인액은 1원 이상, 정가보다 작아야 합니다"))
    if not 0 <= share_bp <= BASIS_POINTS:
        problems.append(gettext("분담률은 0%에서 100% 사이여야 합니다"))
    if HallItem.objects.filter(program=program, product=product, is_active=True).exists():
        problems.append(gettext("이미 기획전에 있는 상품입니다"))
    if problems:
        raise HallItemInvalid(reason="; ".join(problems))
    item = HallItem.objects.create(
        program=program, product=product, store=store, price=price, discount=discount,
        share_bp=share_bp,
    )
    label = f"{product.name} {product.unit}".strip()
    voucher_product = voucher_product_create(
        name=f"기획전 #{item.pk} {label}"[:100], store=store, kind=VoucherProduct.Kind.PRODUCT,
        product_name=label[:100], face_value=price, sale_price=price - discount,
    )
    # Sold by the hall only: the shop would sell it without the program's share.
    voucher_product.is_active = False
    voucher_product.save(update_fields=["is_active", "updated_at"])
    item.voucher_product = voucher_product
    item.save(update_fields=["voucher_product", "updated_at"])
    # Opened now, not by the first concurrent purchases.
    program_budget_account(program=program)
    hall_hold_account(program=program)
    audit_record(
        action=AuditEntry.Action.BUDGET_CHANGE, actor=actor, subject=f"hall_item:{item.pk}",
        amount=hall_share(item=item), organisation_id=program.operator_id,
        details={"program": program.pk, "hall": "item_add", "price": price,
                 "discount": discount, "share_bp": share_bp},
    )
    return item


def hall_close_check(*, program: Program) -> int:
    """Close the items whose share the remaining promotion budget cannot cover (every item
    once it is ₩0); return how many were closed."""
    remaining = hall_budget(program=program).remaining
    closing = [
        item.pk
        for item in HallItem.objects.filter(program=program, is_active=True)
        if remaining == 0 or hall_share(item=item) > remaining
    ]
    if closing:
        HallItem.objects.filter(pk__in=closing).update(is_active=False)
    return len(closing)


@transaction.atomic
def _hall_reserve(*, item: HallItem, idempotency_key: str) -> Transaction | None:
    """Reserve the item's share from the budget under its row lock; None if it is ₩0.

    A retry with the same key returns the first reservation without checking again.
    Raise HallClosed for an item or program no longer on sale, HallBudgetExhausted if the
    remaining promotion budget cannot cover the share (nothing is written).
    """
    key = f"hall:{idempotency_key}:reserve"
    existing = Transaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    fresh = HallItem.objects.select_related("program").get(pk=item.pk)
    program = fresh.program
    if not fresh.is_active or program.status != Program.Status.OPEN:
        raise HallClosed()
    share = hall_share(item=fresh)
    budget = program_budget_account(program=program)
    hold = hall_hold_account(program=program)
    locked = accounts_lock([budget.pk, hold.pk])
    remaining = _budget_of(program, locked[budget.pk], locked[hold.pk].balance).remaining
    if remaining == 0 or share > remaining:
        raise HallBudgetExhausted(remaining=f"{remaining:,}원")
    if share == 0:
        return None
    return ledger_transfer(
        idempotency_key=key, kind=KIND_RESERVE, source=budget, destination=hold,
        amount=share, description=gettext("기획전 할인 지원 예약"),
        metadata={"program": program.pk, "hall_item": fresh.pk},
    )


def _reservation_amount(reservation: Transaction, hold: Account) -> int:
    return int(
        reservation.entries.filter(account=hold).values_list("amount", flat=True).first() or 0
    )


def hall_purchase(
    *, item: HallItem, buyer: User, card_number: str, idempotency_key: str
) -> Voucher:
    """Buy the hall item for its sale price with `card_number`; return the product voucher.

    The program's share is reserved first (refused before any charge when the budget
    cannot cover it: HallBudgetExhausted, and the hall closes what it cannot cover), then
    the card is charged, the voucher issued and the share booked to the store's discount
    account. A retry with the same key returns the same voucher without charging again.
    Raise HallClosed, PurchaseFailed (a declined card: the reservation is released),
    PaymentPending (retry with the same key), IdempotencyKeyReused.
    """
    return hall_buy(
        item=item, buyer=buyer, idempotency_key=idempotency_key,
        charge=lambda amount: payment_charge(
            amount=amount, source=card_number, idempotency_key=f"hall-purchase:{idempotency_key}"
        ),
    )


def hall_buy(
    *, item: HallItem, buyer: User, idempotency_key: str, charge: Callable[[int], Payment]
) -> Voucher:
    """Buy the hall item, `charge(sale price)` taking the money (a card now, or the payment
    window's confirm); return the product voucher. What `hall_purchase` says, for any charge:
    the share is reserved before the charge and released if the charge is declined."""
    voucher_key = f"hall:{idempotency_key}"
    product = hall_voucher_product(item=item)
    program = Program.objects.get(pk=item.program_id)
    existing = Voucher.objects.filter(purchase_key=voucher_key).first()
    if existing is not None:
        if existing.product_id != product.pk or existing.buyer_id != buyer.pk:
            raise IdempotencyKeyReused()
        _hall_share_book(program=program, item=item, voucher=existing, key=idempotency_key)
        return existing
    try:
        reservation = _hall_reserve(item=item, idempotency_key=idempotency_key)
    except HallBudgetExhausted:
        hall_close_check(program=program)
        raise
    try:
        payment = charge(product.sale_price)
    except PaymentDeclined as declined:
        if reservation is not None and declined.payment.status in (
            Payment.Status.FAILED, Payment.Status.CANCELLED
        ):
            hold = hall_hold_account(program=program)
            ledger_transfer(
                idempotency_key=f"hall:{idempotency_key}:release", kind=KIND_RELEASE,
                source=hold, destination=program_budget_account(program=program),
                amount=_reservation_amount(reservation, hold),
                description=gettext("기획전 결제 실패: 예약 해제"),
                metadata={"program": program.pk, "hall_item": item.pk},
            )
        raise PurchaseFailed(message=declined.reason) from declined
    try:
        voucher = voucher_issue(
            product=product, buyer=buyer, payment=payment, idempotency_key=voucher_key
        )
    except IntegrityError:
        voucher = Voucher.objects.get(payment=payment)
    _hall_share_book(program=program, item=item, voucher=voucher, key=idempotency_key)
    hall_close_check(program=program)
    return voucher


def _hall_share_book(*, program: Program, item: HallItem, voucher: Voucher, key: str) -> None:
    """Move the reserved share from the hold to the store's discount account (idempotent)."""
    reservation = Transaction.objects.filter(idempotency_key=f"hall:{key}:reserve").first()
    if reservation is None:
        return
    hold = hall_hold_account(program=program)
    ledger_transfer(
        idempotency_key=f"hall:{key}:share", kind=KIND_SHARE, source=hold,
        destination=catalogue.discount_expense_account(
            owner_type=catalogue.STORE_OWNER_TYPE, owner_id=item.store_id
        ),
        amount=_reservation_amount(reservation, hold),
        description=gettext("기획전 할인 지원"),
        metadata={"program": program.pk, "hall_item": item.pk, "voucher": voucher.pk},
    )


def hall_refunds_reconcile(*, program: Program | None = None) -> int:
    """Return the program's share of every refunded hall voucher from the store's discount
    account to the program budget (idempotent per voucher; each return audited, by nobody:
    the task's); return how many were posted.

    Run it after refunds (a periodic task): the vouchers app books a refund without knowing
    about the hall."""
    refunded = list(
        Voucher.objects.filter(
            status=Voucher.Status.REFUNDED, purchase_key__startswith="hall:"
        ).values_list("pk", flat=True)
    )
    if not refunded:
        return 0
    shares = Transaction.objects.filter(kind=KIND_SHARE, metadata__voucher__in=refunded)
    if program is not None:
        shares = shares.filter(metadata__program=program.pk)
    posted = 0
    for share in shares.prefetch_related("entries"):
        return_key = f"{share.idempotency_key}:return"
        if Transaction.objects.filter(idempotency_key=return_key).exists():
            continue
        owner = Program.objects.get(pk=share.metadata["program"])
        credited = next(entry for entry in share.entries.all() if entry.amount > 0)
        with transaction.atomic():
            budget = program_budget_account(program=owner)
            # Under the budget's lock, so a concurrent reconcile neither posts nor records twice.
            accounts_lock([budget.pk])
            if Transaction.objects.filter(idempotency_key=return_key).exists():
                continue
            ledger_transfer(
                idempotency_key=return_key, kind=KIND_RETURN,
                source=Account.objects.get(pk=credited.account_id),
                destination=budget, amount=credited.amount,
                description=gettext("기획전 교환권 환불: 할인 지원 반환"),
                metadata={**share.metadata},
            )
            audit_record(
                action=AuditEntry.Action.BUDGET_CHANGE, actor=None,
                subject=f"program:{owner.pk}", amount=credited.amount,
                organisation_id=owner.operator_id,
                details={"hall": "refund_return", "voucher": share.metadata.get("voucher"),
                         "hall_item": share.metadata.get("hall_item")},
            )
        posted += 1
    return posted
