"""The voucher terms (신유형 상품권 표준약관: fee cap, validity, withdrawal days, refund
percentages, extensions, expiry notice) and the checks that apply them without moving money.

What a product must satisfy, when a voucher expires, why a redemption is refused and what
fee it pays (with the ledger key, kind and metadata of its posting: one definition for the
ORM path and the PostgreSQL fast path), and what a refund would pay.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils.translation import gettext

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core import clock
from dangol.core.clock import KST
from dangol.core.money import format_won, percent_of
from dangol.places.models import Market, Store
from dangol.vouchers.errors import (
    InsufficientBalance,
    NotAccepted,
    PartialUseNotAllowed,
    RefundRefused,
    VoucherExpired,
    VoucherNotActive,
)
from dangol.vouchers.models import Refund, Voucher, VoucherProduct

DEFAULT_FEE_CAP_BP = 800
MIN_VALIDITY_MONTHS = 12
MIN_PERISHABLE_VALIDITY_MONTHS = 3
WITHDRAWAL_DAYS = 7
SMALL_FACE_VALUE = 10_000
BALANCE_REFUND_PERCENT = 60
SMALL_BALANCE_REFUND_PERCENT = 80
AFTER_EXPIRY_REFUND_PERCENT = 90
AFTER_EXPIRY_REFUND_MONTHS = 5 * 12
EXTENSION_MONTHS = 3
MAX_EXTENSIONS = 4
EXPIRY_NOTICE_DAYS = 30


def fee_cap_bp() -> int:
    """Return the platform fee cap in basis points (settings.DANGOL_VOUCHER_FEE_CAP_BP)."""
    return int(getattr(settings, "DANGOL_VOUCHER_FEE_CAP_BP", DEFAULT_FEE_CAP_BP))


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Return `moment` moved by `months` calendar months in KST, keeping the wall-clock time
    (the 31st → the month's last day; 29 February → 28 February in a common year)."""
    return moment.astimezone(KST) + relativedelta(months=months)


def voucher_expiry(*, purchased_at: dt.datetime, validity_months: int) -> dt.datetime:
    """Return the instant a voucher bought at `purchased_at` expires (exclusive: 00:00 KST
    of the day after its last usable day).

    The validity is counted in calendar months from the KST day of purchase, that day
    included (민법 제160조: a period in months or years runs by the calendar and ends on
    the day before the corresponding day; with no corresponding day, on the last day of
    the final month). A 1-year voucher bought 2027-03-01 is usable through 2028-02-29; one
    bought 2028-02-29, through 2029-02-28; a 3-month one bought 31 January, through 30 April.
    """
    first_day = purchased_at.astimezone(KST).date()
    corresponding = first_day + relativedelta(months=validity_months)
    if corresponding.day == first_day.day:
        last_day = corresponding - dt.timedelta(days=1)
    else:  # clipped to the month's end: there is no corresponding day
        last_day = corresponding
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=KST)


# --- products -------------------------------------------------------------------------------


def voucher_product_check(
    *,
    store: Store | None,
    market: Market | None,
    kind: str,
    product_name: str,
    face_value: int,
    sale_price: int,
    validity_months: int,
    is_perishable: bool,
    fee_bp: int,
    accepted_stores: Iterable[Store],
) -> list[str]:
    """Return every reason (translated text) the product cannot be created; empty if none.

    The fee cap is checked separately by `voucher_product_create` (FeeAboveCap).
    """
    problems: list[str] = []
    if (store is None) == (market is None):
        problems.append(gettext("발행자는 가게 또는 시장(상인회) 중 하나여야 합니다"))
    if kind not in VoucherProduct.Kind.values:
        problems.append(gettext("알 수 없는 상품권 종류입니다"))
    if kind == VoucherProduct.Kind.PRODUCT and not product_name.strip():
        problems.append(gettext("교환권에는 교환할 상품 이름이 필요합니다"))
    if face_value <= 0 or sale_price <= 0:
        problems.append(gettext("액면가와 판매가는 1원 이상이어야 합니다"))
    elif sale_price > face_value:
        problems.append(gettext("판매가는 액면가보다 클 수 없습니다"))
    minimum = MIN_PERISHABLE_VALIDITY_MONTHS if is_perishable else MIN_VALIDITY_MONTHS
    if validity_months < minimum:
        problems.append(
            gettext("유효기간은 %(months)s개월 이상이어야 합니다 (신유형 상품권 표준약관)")
            % {"months": minimum}
        )
    if fee_bp < 0:
        problems.append(gettext("수수료는 0 이상이어야 합니다"))
    stores = list(accepted_stores)
    if stores and market is None:
        problems.append(gettext("사용 가게 목록은 시장 상품권에만 지정할 수 있습니다"))
    elif market is not None and any(item.market_id != market.pk for item in stores):
        problems.append(gettext("사용 가게는 발행 시장의 가게여야 합니다"))
    return problems


# --- redemption -----------------------------------------------------------------------------


REDEEM_KIND = "voucher_redeem"


def redeem_ledger_key(voucher_id: int, idempotency_key: str) -> str:
    return f"voucher:{voucher_id}:redeem:{idempotency_key}"


def redeem_metadata(*, voucher_id: int, store_id: int, fee: int) -> dict[str, int]:
    return {"voucher": voucher_id, "store": store_id, "fee": fee}


def redeem_fee(amount: int, fee_bp: int) -> int:
    """Return the platform fee on `amount`: the product's rate, never above the cap."""
    return percent_of(amount, min(fee_bp, fee_cap_bp()))


def redeem_check(*, voucher: Voucher, kind: str, accepted: bool, amount: int) -> None:
    """Raise why `amount` cannot be taken off the locked `voucher` of a product of `kind`
    at a store where it is `accepted` or not; return if it can. The rules in their order."""
    if not accepted:
        raise NotAccepted()
    if voucher.status == Voucher.Status.REFUNDED:
        raise VoucherNotActive(status=voucher.get_status_display())
    if voucher.is_expired(clock.now()):
        raise VoucherExpired(
            until=voucher.valid_until.astimezone(KST).strftime("%Y-%m-%d %H:%M")
        )
    if kind == VoucherProduct.Kind.PRODUCT and amount != voucher.face_value:
        raise PartialUseNotAllowed(face=format_won(voucher.face_value))
    if amount > voucher.balance:
        raise InsufficientBalance(balance=format_won(voucher.balance), amount=format_won(amount))


# --- refund ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundQuote:
    """What a refund of the voucher would pay under which rule of DESIGN.md §6."""

    rule: str
    balance: int
    amount: int


def voucher_refund_check(*, voucher: Voucher, at: dt.datetime | None = None) -> RefundQuote:
    """Return the refund the voucher is entitled to at `at` (default now); raise
    RefundRefused naming the rule otherwise.

    Rules (신유형 상품권 표준약관), in this order:
    - after expiry: 90% of the balance's paid value, until 5 years after expiry;
    - within 7 days of purchase (through the 7th KST calendar day after the day of
      purchase) and unused: the whole sale price;
    - once ≥ 60% of the face value is used (≥ 80% when the face value is ≤ ₩10,000):
      the balance's paid value.
    The paid value of a balance B is ⌊B × sale price / face value⌋: a discount the issuer
    paid is not paid out in cash.
    """
    now = at or clock.now()
    product = VoucherProduct.objects.get(pk=voucher.product_id)
    balance, face = voucher.balance, voucher.face_value
    if voucher.status == Voucher.Status.REFUNDED:
        raise RefundRefused(rule=gettext("이미 환불된 상품권입니다"))
    if balance <= 0:
        raise RefundRefused(rule=gettext("남은 잔액이 없습니다"))
    paid_value = balance * product.sale_price // face
    if voucher.is_expired(now):
        if now >= add_months(voucher.valid_until, AFTER_EXPIRY_REFUND_MONTHS):
            raise RefundRefused(
                rule=gettext("유효기간 만료 후 5년이 지나 환불 청구 기간이 끝났습니다")
            )
        rule = Refund.Rule.AFTER_EXPIRY
        amount = percent_of(paid_value, 100 * AFTER_EXPIRY_REFUND_PERCENT)
    else:
        purchase_day = voucher.purchased_at.astimezone(KST).date()
        within_withdrawal = now.astimezone(KST).date() <= purchase_day + dt.timedelta(
            days=WITHDRAWAL_DAYS
        )
        used = face - balance
        percent = (
            SMALL_BALANCE_REFUND_PERCENT if face <= SMALL_FACE_VALUE else BALANCE_REFUND_PERCENT
        )
        if within_withdrawal and used == 0:
            rule, amount = Refund.Rule.WITHDRAWAL, product.sale_price
        elif used * 100 >= percent * face:
            rule, amount = Refund.Rule.BALANCE, paid_value
        else:
            raise RefundRefused(
                rule=gettext(
                    "잔액 환불은 액면가의 %(percent)s%% 이상 사용한 뒤에 가능합니다"
                    " (구매 후 7일이 지났거나 이미 사용한 상품권)"
                ) % {"percent": percent}
            )
    if amount <= 0:
        raise RefundRefused(rule=gettext("환불할 금액이 없습니다"))
    return RefundQuote(rule=rule, balance=balance, amount=amount)


def redemption_audit(*, voucher_id: int, store_id: int, redemption_id: int, amount: int,
                     staff: User) -> None:
    """Record a new redemption in the audit log; both redemption paths (the ORM one and the
    fast path) call it inside the transaction that writes the redemption, before the hot
    account rows are locked."""
    audit_record(
        action=AuditEntry.Action.VOUCHER_REDEEM, actor=staff, subject=f"voucher:{voucher_id}",
        amount=amount, details={"store": store_id, "redemption": redemption_id},
    )
