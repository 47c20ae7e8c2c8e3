"""Vouchers and the erasure of an account (탈퇴): the rule that nothing paid is lost, and the
removal of the erased person's number from the voucher records that must stay.

Voucher records — purchases, gifts, redemptions, refunds — are kept for five years
(전자상거래법 §6, 대금결제·재화 공급 기록) with their ledger transactions; an erased account
keeps them through its pseudonymised user row, never through its phone number.
"""

from django.db import transaction
from django.db.models import Count, Q, Sum

from dangol.accounts.models import User
from dangol.core.money import format_won
from dangol.vouchers.errors import VoucherBalanceRemains, VoucherRefundPending
from dangol.vouchers.models import Refund, Voucher, VoucherGift
from dangol.vouchers.selectors import vouchers_held_by


def voucher_erasure_check(*, user: User) -> None:
    """Raise unless `user`'s account may be erased as far as vouchers go.

    Raise VoucherBalanceRemains if a voucher they hold still has a balance (expired ones
    included: 90% of it is refundable for five years), VoucherRefundPending if a refund of a
    voucher they hold or bought has not been paid back yet. Either way, erasing the account
    would leave them no way to get their money.
    """
    with_balance = vouchers_held_by(user=user).filter(
        status=Voucher.Status.ACTIVE, balance__gt=0
    )
    found = with_balance.aggregate(count=Count("pk"), total=Sum("balance"))
    if found["count"]:
        raise VoucherBalanceRemains(count=found["count"], total=format_won(found["total"]))
    held = Q(voucher__holder=user) | Q(voucher__buyer=user)
    if user.phone:
        held |= Q(voucher__holder_phone=user.phone)
    pending = Refund.objects.filter(held, paid_at__isnull=True).count()
    if pending:
        raise VoucherRefundPending(count=pending)


@transaction.atomic
def vouchers_holder_erase(*, user: User, phone: str | None) -> int:
    """Remove the number `phone` of `user` (an account being erased) from voucher records;
    return how many vouchers they hold.

    A voucher held by the number becomes held by the user row (which erasure pseudonymises)
    with the number blanked, so a new account that signs up with the same number later finds
    none of them; gifts from or to the number keep their date and message, not the number.
    """
    if phone:
        Voucher.objects.filter(holder_phone=phone, holder__isnull=True).update(holder=user)
        VoucherGift.objects.filter(from_phone=phone).update(from_phone="")
        VoucherGift.objects.filter(to_phone=phone).update(to_phone="")
    held = Voucher.objects.filter(holder=user)
    held.exclude(holder_phone="").update(holder_phone="")
    return held.count()
