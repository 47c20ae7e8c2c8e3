"""Writes on a voucher's validity: the holder's 3-month extension and the expiry notices."""

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from dangol.core import clock
from dangol.core.clock import KST
from dangol.core.money import format_won
from dangol.notices.models import Notice
from dangol.notices.services import notice_send
from dangol.vouchers.errors import ExtensionRefused
from dangol.vouchers.models import Voucher
from dangol.vouchers.rules import (
    EXPIRY_NOTICE_DAYS,
    EXTENSION_MONTHS,
    MAX_EXTENSIONS,
    add_months,
)
from dangol.vouchers.services import vouchers_lock


@transaction.atomic
def voucher_extend(*, voucher: Voucher) -> Voucher:
    """Extend the voucher's validity by 3 months on the holder's request; return it.

    Each call is one request and extends once, from the current end of validity. Limits: the
    voucher must be active (balance left, not refunded) and not yet expired (after expiry the
    90% refund applies instead), and it can be extended at most 4 times (one extra year).
    Raise ExtensionRefused naming the limit. Locks the voucher.
    """
    locked = vouchers_lock([voucher.pk])[voucher.pk]
    if locked.status != Voucher.Status.ACTIVE:
        raise ExtensionRefused(rule=gettext("사용이 끝났거나 환불된 상품권입니다"))
    if locked.is_expired(clock.now()):
        raise ExtensionRefused(
            rule=gettext(
                "이미 유효기간이 지났습니다 (만료 후에는 잔액의 90%를 환불받을 수 있습니다)"
            )
        )
    if locked.extension_count >= MAX_EXTENSIONS:
        raise ExtensionRefused(
            rule=gettext("연장은 %(count)s번까지 가능합니다") % {"count": MAX_EXTENSIONS}
        )
    locked.extended_until = add_months(locked.valid_until, EXTENSION_MONTHS)
    locked.extension_count += 1
    locked.save(update_fields=["extended_until", "extension_count", "updated_at"])
    return locked


def vouchers_notify_expiring(*, at: dt.datetime | None = None) -> int:
    """Send an informational notice for every usable voucher that expires within 30 days
    of `at` (default now); return how many vouchers are due.

    Idempotent per voucher and end of validity: a rerun sends nothing twice, and an extended
    voucher is noticed again before its new end.
    """
    now = at or clock.now()
    due = (
        Voucher.objects.filter(status=Voucher.Status.ACTIVE, balance__gt=0)
        .annotate(valid_end=Coalesce(F("extended_until"), F("expires_at")))
        .filter(valid_end__gt=now, valid_end__lte=now + dt.timedelta(days=EXPIRY_NOTICE_DAYS))
        .select_related("product", "holder")
        .order_by("pk")
    )
    count = 0
    for voucher in due:
        end = voucher.valid_until.astimezone(KST)
        notice_send(
            user=voucher.holder, phone=voucher.holder_phone or None, kind=Notice.Kind.EXPIRY,
            title=gettext("상품권 유효기간이 곧 끝납니다"),
            body=gettext(
                "%(product)s 잔액 %(balance)s의 유효기간이 %(date)s에 끝납니다."
                " 기간 연장(3개월)이나 환불을 신청할 수 있습니다."
            ) % {
                "product": voucher.product.name, "balance": format_won(voucher.balance),
                "date": (end - dt.timedelta(microseconds=1)).strftime("%Y-%m-%d"),
            },
            idempotency_key=f"voucher-expiry:{voucher.pk}:{end.isoformat()}",
        )
        count += 1
    return count

