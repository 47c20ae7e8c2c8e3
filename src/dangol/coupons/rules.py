"""May this coupon be redeemed at this store now, and for how much — the rule in Python and
in SQL, side by side, so that there is one rule.

A coupon is redeemable at `store` at `at` for a purchase of `purchase_amount` won when it is
`store`'s, issued (not used, void or expired), `at` lies in its template's window
(valid_from ≤ at < valid_until), the template is active, a percentage coupon is given the
purchase amount, and the purchase meets the template's minimum. Its discount is the amount
off (never above the purchase), or the percentage of the purchase capped at the template's
maximum (and at the purchase), or nothing for a free item.

`coupon_check` (with `coupon_check_usable`, the part that does not depend on the purchase,
and `coupon_discount`) is the reference: it raises the first refusal, in the order staff
are told, or returns the discount. `redeemable_sql` and `discount_sql` are the same rule as
SQL fragments over a coupon row and its template row, which the counter's one-statement
redemption (services.coupon_redeem on PostgreSQL) composes into its UPDATE. Expiry alone
(`template_expired`, `template_expired_q`) is what claims, issues, the wallet and the
nightly expiry use. tests/coupons/test_rules.py runs the Python and SQL forms over the same
cases.
"""

import datetime as dt

from django.db import connection
from django.db.models import Q
from django.utils.translation import get_language

from dangol.core import clock
from dangol.core.korean import format_datetime
from dangol.core.money import format_won
from dangol.coupons.errors import (
    BelowMinimumPurchase,
    CouponAlreadyUsed,
    CouponExpired,
    CouponForeign,
    CouponInactive,
    CouponNotYetValid,
    CouponVoid,
    PurchaseAmountRequired,
)
from dangol.coupons.models import Coupon, CouponTemplate
from dangol.places.models import Store


def kst_text(moment: dt.datetime) -> str:
    """Return `moment` as the refusals show it: Korean time, in the active language."""
    return format_datetime(moment, lang=get_language() or "ko")


# --- expiry -----------------------------------------------------------------------------------


def template_expired(template: CouponTemplate, at: dt.datetime) -> bool:
    """Return whether `template`'s window has ended at `at` (it ends at valid_until)."""
    return at >= template.valid_until


def template_expired_q(at: dt.datetime, *, prefix: str = "") -> Q:
    """Return the filter "the template's window has ended at `at`" (`template_expired`);
    `prefix` reaches the template through a relation ("template__" from a Coupon)."""
    return Q(**{f"{prefix}valid_until__lte": at})


def coupon_is_expired(coupon: Coupon, *, at: dt.datetime | None = None) -> bool:
    """Return whether `coupon` is past its window (or marked expired or void)."""
    if coupon.status in (Coupon.Status.EXPIRED, Coupon.Status.VOID):
        return True
    at = at or clock.now()
    return coupon.status == Coupon.Status.ISSUED and template_expired(coupon.template, at)


# --- the rule in Python -----------------------------------------------------------------------


def coupon_discount(*, template: CouponTemplate, purchase_amount: int | None) -> int:
    """Return the won `template` takes off a purchase of `purchase_amount` (never above it)."""
    if template.kind == CouponTemplate.Kind.AMOUNT_OFF:
        if purchase_amount is None:
            return template.amount_off
        return min(template.amount_off, purchase_amount)
    if template.kind == CouponTemplate.Kind.PERCENT_OFF:
        if purchase_amount is None:
            return 0
        discount = purchase_amount * template.percent_off // 100
        return min(discount, template.max_discount or 0, purchase_amount)
    return 0


def coupon_check_usable(*, coupon: Coupon, store: Store, at: dt.datetime | None = None) -> None:
    """Raise why `coupon` cannot be used at `store` now, whatever the purchase; else return.

    What staff see before they ask the purchase amount (the confirm screen).
    """
    template = coupon.template
    at = at or clock.now()
    if coupon.store_id != store.pk:
        raise CouponForeign(store=coupon.store.name)
    if coupon.status == Coupon.Status.REDEEMED:
        assert coupon.redeemed_at is not None  # noqa: S101 (a database constraint)
        raise CouponAlreadyUsed(when=kst_text(coupon.redeemed_at))
    if coupon.status == Coupon.Status.VOID:
        raise CouponVoid()
    if coupon.status == Coupon.Status.EXPIRED or template_expired(template, at):
        raise CouponExpired(until=kst_text(template.valid_until))
    if at < template.valid_from:
        raise CouponNotYetValid(since=kst_text(template.valid_from))
    if not template.is_active:
        raise CouponInactive()


def coupon_check(
    *, coupon: Coupon, store: Store, purchase_amount: int | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Return the discount if `coupon` may be used at `store` now, else raise why not.

    Raise CouponForeign, CouponAlreadyUsed, CouponVoid, CouponExpired, CouponNotYetValid,
    CouponInactive, PurchaseAmountRequired or BelowMinimumPurchase.
    """
    coupon_check_usable(coupon=coupon, store=store, at=at)
    template = coupon.template
    if template.kind == CouponTemplate.Kind.PERCENT_OFF and purchase_amount is None:
        raise PurchaseAmountRequired()
    if template.minimum_purchase and (
        purchase_amount is None or purchase_amount < template.minimum_purchase
    ):
        raise BelowMinimumPurchase(minimum=format_won(template.minimum_purchase))
    return coupon_discount(template=template, purchase_amount=purchase_amount)


# --- the same rule in SQL ---------------------------------------------------------------------


def redeemable_sql(*, coupon: str = "c", template: str = "t") -> str:
    """Return the SQL condition "coupon row `coupon` with its template row `template` may be
    redeemed" (`coupon_check` succeeds), with the named parameters %(store)s, %(issued)s
    (Coupon.Status.ISSUED), %(now)s and %(purchase)s (None when not given)."""
    c, t = coupon, template
    return (
        f'{c}."store_id" = %(store)s AND {c}."status" = %(issued)s AND {t}."is_active"'
        f' AND {t}."valid_from" <= %(now)s AND %(now)s < {t}."valid_until"'
        f" AND ({t}.\"kind\" <> 'percent_off' OR %(purchase)s IS NOT NULL)"
        f' AND ({t}."minimum_purchase" = 0 OR %(purchase)s >= {t}."minimum_purchase")'
    )


def discount_sql(*, template: str = "t") -> str:
    """Return the SQL value of the discount of a redeemable coupon of template row
    `template` (`coupon_discount`), with the named parameter %(purchase)s."""
    t = template
    least = "LEAST" if connection.vendor == "postgresql" else "MIN"
    return (
        f'CASE {t}."kind"'
        f" WHEN 'amount_off' THEN {least}({t}.\"amount_off\","
        f' COALESCE(%(purchase)s, {t}."amount_off"))'
        f" WHEN 'percent_off' THEN"
        f' {least}(%(purchase)s * {t}."percent_off" / 100, {t}."max_discount", %(purchase)s)'
        " ELSE 0 END"
    )
