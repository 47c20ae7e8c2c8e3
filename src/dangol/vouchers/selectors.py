"""Reads of vouchers."""

from django.db.models import Q, QuerySet

from dangol.accounts.models import User
from dangol.ledger.models import Account
from dangol.vouchers.models import LEDGER_OWNER_TYPE, Voucher


def voucher_account(*, voucher: Voucher) -> Account:
    """Return the voucher's ledger account (kind voucher_liability), the truth of its balance."""
    return Account.objects.get(
        owner_type=LEDGER_OWNER_TYPE, owner_id=voucher.pk, kind=Account.Kind.VOUCHER_LIABILITY
    )


def vouchers_held_by(*, user: User) -> QuerySet[Voucher]:
    """Return the vouchers `user` holds: given to their user or to their mobile number."""
    held = Q(holder=user)
    if user.phone:
        held |= Q(holder_phone=user.phone)
    return Voucher.objects.filter(held).select_related("product")
