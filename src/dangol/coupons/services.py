"""Writes on coupons: templates, issue, claim, redeem, expiry (stamp cards: `stamps.py`).

Concurrency: the template row is locked while coupons of it are issued (quantity and
per-customer limits), the coupon row while it is redeemed. Locks are taken through the
`*_lock` helpers, in primary-key order.
"""

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.errors import IdempotencyKeyReused, ValidationError
from dangol.core.ids import random_digits, token_urlsafe
from dangol.coupons.errors import (
    CouponExpired,
    CouponForeign,
    CouponInactive,
    CouponLimitReached,
    CouponNotClaimable,
    CouponNotFound,
    CouponSoldOut,
    InvalidCouponTemplate,
)
from dangol.coupons.models import (
    Coupon,
    CouponTemplate,
    Stamp,
)
from dangol.coupons.rules import (
    coupon_check,
    discount_sql,
    kst_text,
    redeemable_sql,
    template_expired,
    template_expired_q,
)
from dangol.places.models import Store
from dangol.regulars.models import Follow

CODE_ATTEMPTS = 8

# --- locks ----------------------------------------------------------------------------------


def coupon_templates_lock(ids: Iterable[int]) -> list[CouponTemplate]:
    """Lock the coupon templates `ids` (pk order) and return them fresh. Needs a transaction."""
    return list(
        CouponTemplate.objects.select_for_update().filter(pk__in=sorted(ids)).order_by("pk")
    )


def coupon_lock_live(
    *, store: Store, code: str | None = None, token: str | None = None
) -> Coupon | None:
    """Lock and return, with its template, the coupon that `token` names, or the usable
    (issued) coupon of `store` with `code`; None if there is none.

    One row at most, so the pk order of locks holds. A waiter for a coupon that is redeemed
    meanwhile gets None for a code (the row no longer matches), or the fresh row for a token.
    """
    coupons = Coupon.objects.select_for_update(of=("self",)).select_related("template")
    if token:
        live = coupons.filter(token=token.strip())
    else:
        live = coupons.filter(store=store, code=_clean_code(code), status=Coupon.Status.ISSUED)
    found = list(live.order_by()[:1])
    return found[0] if found else None


# --- templates ------------------------------------------------------------------------------


def _template_check(template: CouponTemplate) -> None:
    if not template.name.strip():
        raise InvalidCouponTemplate(reason=_("이름을 입력해 주세요."))
    if template.valid_until <= template.valid_from:
        raise InvalidCouponTemplate(reason=_("사용 종료는 사용 시작보다 뒤여야 합니다."))
    if template.kind == CouponTemplate.Kind.AMOUNT_OFF and template.amount_off <= 0:
        raise InvalidCouponTemplate(reason=_("할인 금액을 입력해 주세요."))
    if template.kind == CouponTemplate.Kind.PERCENT_OFF and not (
        1 <= template.percent_off <= 100 and (template.max_discount or 0) > 0
    ):
        raise InvalidCouponTemplate(reason=_("할인율(1–100%)과 최대 할인 금액을 입력해 주세요."))
    if template.kind == CouponTemplate.Kind.FREE_ITEM and not template.free_item.strip():
        raise InvalidCouponTemplate(reason=_("무료로 드릴 상품을 입력해 주세요."))
    if template.per_customer_limit < 1:
        raise InvalidCouponTemplate(reason=_("1인당 한도는 1장 이상이어야 합니다."))
    if template.total_quantity is not None and template.total_quantity < template.issued_count:
        raise InvalidCouponTemplate(reason=_("총 수량은 이미 발급한 수량보다 적을 수 없습니다."))


@transaction.atomic
def coupon_template_create(
    *, store: Store, name: str, kind: str, valid_from: dt.datetime, valid_until: dt.datetime,
    amount_off: int = 0, percent_off: int = 0, max_discount: int | None = None,
    free_item: str = "", total_quantity: int | None = None, per_customer_limit: int = 1,
    minimum_purchase: int = 0, claimable: bool = True, is_active: bool = True,
) -> CouponTemplate:
    """Create a coupon template for `store`; raise InvalidCouponTemplate if it makes no sense."""
    template = CouponTemplate(
        store=store, name=name.strip(), kind=kind, amount_off=amount_off,
        percent_off=percent_off, max_discount=max_discount, free_item=free_item.strip(),
        valid_from=valid_from, valid_until=valid_until, total_quantity=total_quantity,
        per_customer_limit=per_customer_limit, minimum_purchase=minimum_purchase,
        claimable=claimable, is_active=is_active,
    )
    _template_check(template)
    template.save()
    return template


_UPDATABLE = (
    "name", "valid_from", "valid_until", "total_quantity", "per_customer_limit",
    "minimum_purchase", "claimable", "is_active", "amount_off", "percent_off", "max_discount",
    "free_item",
)


@transaction.atomic
def coupon_template_update(*, template: CouponTemplate, **changes: Any) -> CouponTemplate:
    """Change the given fields of `template` (its kind and store never change).

    Locks the template row, so a quantity cannot drop below what a concurrent issue takes.
    """
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise TypeError(f"cannot update {sorted(unknown)}")
    (locked,) = coupon_templates_lock([template.pk])
    for name, value in changes.items():
        setattr(locked, name, value)
    _template_check(locked)
    locked.save(update_fields=[*changes, "updated_at"])
    return locked


# --- issue and claim ------------------------------------------------------------------------


def _new_codes(*, count: int, taken: set[str]) -> list[str]:
    codes: list[str] = []
    chosen = set(taken)
    while len(codes) < count:
        code = random_digits(6)
        if code not in chosen:
            chosen.add(code)
            codes.append(code)
    return codes


def _live_codes(store_id: int) -> set[str]:
    return set(
        Coupon.objects.filter(store_id=store_id, status=Coupon.Status.ISSUED).values_list(
            "code", flat=True
        )
    )


def coupons_insert(
    *, template: CouponTemplate, customer_ids: list[int], source: str,
    stamp: Stamp | None = None,
) -> list[Coupon]:
    """Insert one coupon per customer id in one statement, retrying on a code collision."""
    if not customer_ids:
        return []
    now = clock.now()
    # Small batches guess codes without reading the store's live codes; a collision is rare
    # and retried. Big batches read them once so the insert succeeds first time.
    taken = _live_codes(template.store_id) if len(customer_ids) > 20 else set()
    for attempt in range(CODE_ATTEMPTS):
        codes = _new_codes(count=len(customer_ids), taken=taken)
        rows = [
            Coupon(
                template=template, store_id=template.store_id, customer_id=customer_id,
                source=source, code=code, token=token_urlsafe(24), issued_at=now, stamp=stamp,
            )
            for customer_id, code in zip(customer_ids, codes, strict=True)
        ]
        try:
            with transaction.atomic():
                return Coupon.objects.bulk_create(rows)
        except IntegrityError:
            if attempt == CODE_ATTEMPTS - 1:
                raise
            taken = _live_codes(template.store_id)
    raise AssertionError("unreachable")


def _claimed_count(template: CouponTemplate) -> Subquery:
    return Subquery(
        Coupon.objects.filter(template=template, customer=OuterRef("customer_id"))
        .values("customer_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )


@transaction.atomic
def coupon_issue_to_regulars(*, template: CouponTemplate) -> int:
    """Issue one coupon of `template` to every regular (follower) of its store; return how many.

    Regulars who already hold `per_customer_limit` coupons of it are skipped; when the total
    quantity runs short, the longest-standing regulars get one first. One SELECT of the
    recipients and one INSERT of the coupons, under the template's row lock.
    """
    (template,) = coupon_templates_lock([template.pk])
    if not template.is_active:
        raise CouponInactive()
    if template_expired(template, clock.now()):
        raise CouponExpired(until=kst_text(template.valid_until))
    recipients = (
        Follow.objects.filter(store_id=template.store_id)
        .annotate(held=Coalesce(_claimed_count(template), Value(0)))
        .filter(held__lt=template.per_customer_limit)
        .order_by("created_at", "id")
        .values_list("customer_id", flat=True)
    )
    remaining = template.remaining
    if remaining is not None:
        recipients = recipients[:remaining]
    customer_ids = list(recipients)
    coupons = coupons_insert(
        template=template, customer_ids=customer_ids, source=Coupon.Source.ISSUE
    )
    if coupons:
        template.issued_count += len(coupons)
        template.save(update_fields=["issued_count", "updated_at"])
    return len(coupons)


@transaction.atomic
def coupon_claim(*, template: CouponTemplate, customer: User) -> Coupon:
    """Give `customer` one coupon of `template` from the store page.

    Raise CouponNotClaimable, CouponExpired, CouponSoldOut or CouponLimitReached. Locks the
    template row, so concurrent claims never exceed the quantity or the per-customer limit.
    """
    (template,) = coupon_templates_lock([template.pk])
    if not (template.is_active and template.claimable):
        raise CouponNotClaimable()
    if template_expired(template, clock.now()):
        raise CouponExpired(until=kst_text(template.valid_until))
    if template.remaining == 0:
        raise CouponSoldOut()
    held = Coupon.objects.filter(template=template, customer=customer).count()
    if held >= template.per_customer_limit:
        raise CouponLimitReached(limit=template.per_customer_limit)
    (coupon,) = coupons_insert(
        template=template, customer_ids=[customer.pk], source=Coupon.Source.CLAIM
    )
    template.issued_count += 1
    template.save(update_fields=["issued_count", "updated_at"])
    return coupon


# --- redeem ---------------------------------------------------------------------------------


def _clean_code(code: str | None) -> str:
    return (code or "").strip().replace(" ", "").replace("-", "")


def coupon_find(*, store: Store, code: str | None = None, token: str | None = None) -> Coupon:
    """Return the coupon that `code` (6 digits) or `token` (QR) names at `store`.

    A code names the store's usable coupon with it, else its last used or expired one.
    Raise CouponForeign if it is another store's coupon and CouponNotFound if none.
    """
    coupons = Coupon.objects.select_related("template", "store")
    if token:
        coupon = coupons.filter(token=token.strip()).first()
        if coupon is None:
            raise CouponNotFound()
        if coupon.store_id != store.pk:
            raise CouponForeign(store=coupon.store.name)
        return coupon
    code = _clean_code(code)
    if len(code) != 6 or not code.isdigit():
        raise CouponNotFound()
    coupon = coupons.filter(store=store, code=code, status=Coupon.Status.ISSUED).first()
    if coupon is None:
        coupon = coupons.filter(store=store, code=code).order_by("-updated_at", "-id").first()
    if coupon is not None:
        return coupon
    elsewhere = coupons.filter(code=code, status=Coupon.Status.ISSUED).first()
    if elsewhere is not None:
        raise CouponForeign(store=elsewhere.store.name)
    raise CouponNotFound()


@transaction.atomic
def coupon_redeem(
    *, store: Store, staff: User, code: str | None = None, token: str | None = None,
    purchase_amount: int | None = None, idempotency_key: str | None = None,
) -> Coupon:
    """Use the coupon that `code` or `token` names at `store`, served by `staff`; return it.

    Raise what `coupon_find` and `coupon_check` raise. Locks the coupon row, so of many
    concurrent redemptions of one coupon exactly one succeeds. A retry with the same
    `idempotency_key` returns the first result; the key on another coupon is refused.
    """
    try:
        return _coupon_redeem(
            store=store, staff=staff, code=code, token=token, purchase_amount=purchase_amount,
            idempotency_key=idempotency_key,
        )
    except IntegrityError:
        # Only the (store, redeem_key) constraint can fail: the same key, at the same
        # moment, on another coupon.
        if idempotency_key:
            raise IdempotencyKeyReused() from None
        raise


def _coupon_redeem(
    *, store: Store, staff: User, code: str | None, token: str | None,
    purchase_amount: int | None, idempotency_key: str | None,
) -> Coupon:
    if purchase_amount is not None and purchase_amount < 0:
        raise ValidationError(_("구매 금액은 0원 이상이어야 합니다."))
    if idempotency_key:
        earlier = (
            Coupon.objects.select_related("template", "store")
            .filter(store=store, redeem_key=idempotency_key)
            .first()
        )
        if earlier is not None:
            return _replay(earlier, code=code, token=token)
    if connection.vendor == "postgresql":
        redeemed = _coupon_redeem_in_one_statement(
            store=store, staff=staff, code=code, token=token, purchase_amount=purchase_amount,
            idempotency_key=idempotency_key or "",
        )
        if redeemed is not None:
            return redeemed
    coupon = coupon_lock_live(store=store, code=code, token=token)
    if coupon is None:
        # Not usable: find out why (used, expired, another store's, unknown) to say so.
        coupon = coupon_find(store=store, code=code, token=token)
    if idempotency_key and coupon.redeem_key == idempotency_key:
        return _replay(coupon, code=code, token=token)
    discount = coupon_check(coupon=coupon, store=store, purchase_amount=purchase_amount)
    now = clock.now()
    changes = {
        "status": Coupon.Status.REDEEMED, "redeemed_at": now, "redeemed_by": staff,
        "purchase_amount": purchase_amount, "discount_amount": discount,
        "redeem_key": idempotency_key or "", "updated_at": now,
    }
    Coupon.objects.filter(pk=coupon.pk).update(**changes)
    for name, value in changes.items():
        setattr(coupon, name, value)
    return coupon


@functools.cache
def _redeem_sql(*, by_token: bool) -> str:
    coupon_table, template_table = Coupon._meta.db_table, CouponTemplate._meta.db_table
    returning = ", ".join(
        [f'c."{f.column}"' for f in Coupon._meta.concrete_fields]
        + [f't."{f.column}"' for f in CouponTemplate._meta.concrete_fields]
    )
    named = 'c."token" = %(token)s' if by_token else 'c."code" = %(code)s'
    # The rule of coupon_check in SQL (rules.redeemable_sql, rules.discount_sql): a coupon
    # that fails any part of it is left alone and the ORM path says why.
    return (
        f'UPDATE {coupon_table} AS c SET "status" = %(redeemed)s, "redeemed_at" = %(now)s,'  # noqa: S608 (names from models)
        ' "redeemed_by_id" = %(staff)s, "purchase_amount" = %(purchase)s,'
        ' "redeem_key" = %(key)s, "updated_at" = %(now)s,'
        f' "discount_amount" = {discount_sql(template="t")}'
        f' FROM {template_table} AS t'
        f' WHERE t."id" = c."template_id" AND {named}'
        f" AND {redeemable_sql(coupon='c', template='t')}"
        f" RETURNING {returning}"
    )


def _coupon_redeem_in_one_statement(
    *, store: Store, staff: User, code: str | None, token: str | None,
    purchase_amount: int | None, idempotency_key: str,
) -> Coupon | None:
    """Redeem a usable coupon with one conditional UPDATE (PostgreSQL); return it, or None
    if nothing was updated (the coupon is unknown, used, expired, short of the minimum…).

    The statement locks the row it updates; a concurrent redemption waits, finds the row
    no longer issued, and updates nothing. This is the counter's hot path: the ORM path
    below it (lock, check, update) is the reference and explains every refusal.
    """
    if token:
        sql, named = _redeem_sql(by_token=True), {"token": token.strip()}
    else:
        cleaned = _clean_code(code)
        if len(cleaned) != 6 or not cleaned.isdigit():
            return None
        sql, named = _redeem_sql(by_token=False), {"code": cleaned}
    params = {
        **named, "store": store.pk, "staff": staff.pk, "purchase": purchase_amount,
        "key": idempotency_key, "now": clock.now(), "redeemed": Coupon.Status.REDEEMED,
        "issued": Coupon.Status.ISSUED,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    coupon_fields = [f.attname for f in Coupon._meta.concrete_fields]
    template_fields = [f.attname for f in CouponTemplate._meta.concrete_fields]
    split = len(coupon_fields)
    coupon = Coupon.from_db(connection.alias, coupon_fields, row[:split])
    coupon.template = CouponTemplate.from_db(connection.alias, template_fields, row[split:])
    coupon.store = store
    return coupon


def _replay(coupon: Coupon, *, code: str | None, token: str | None) -> Coupon:
    if (token and token.strip() != coupon.token) or (code and code.strip() != coupon.code):
        raise IdempotencyKeyReused()
    return coupon


@transaction.atomic
def coupons_expire_due(*, at: dt.datetime | None = None) -> int:
    """Mark every issued coupon whose window has ended as expired; return how many.

    Frees their counter codes for new coupons. Safe to run again.
    """
    at = at or clock.now()
    return Coupon.objects.filter(
        template_expired_q(at, prefix="template__"), status=Coupon.Status.ISSUED
    ).update(status=Coupon.Status.EXPIRED, updated_at=at)


@transaction.atomic
def coupons_void_of_customer(*, customer: User) -> int:
    """Void every unused coupon of `customer` (an account being erased); return how many.

    An unused coupon is a free promotion that no law asks to keep, and one whose holder is
    gone must not be usable by whoever saw its code; voiding frees its counter code. Used
    and expired coupons stay as the store's record of its sales, tied to the
    pseudonymised account.
    """
    return Coupon.objects.filter(customer=customer, status=Coupon.Status.ISSUED).update(
        status=Coupon.Status.VOID, updated_at=clock.now()
    )
