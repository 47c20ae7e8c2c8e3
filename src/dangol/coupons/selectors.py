"""Reads on coupons and stamp cards, limited to what the acting user may see."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.errors import NotFound
from dangol.coupons.models import Coupon, CouponTemplate, Stamp, StampCard, StampCardProgram
from dangol.coupons.rules import coupon_is_expired, template_expired_q
from dangol.places.models import Store


def _kst_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=clock.KST)
    return start, start + dt.timedelta(days=1)


def coupons_redeemed_count(*, store: Store, day: dt.date) -> int:
    """Return how many coupons `store` redeemed on KST `day`."""
    start, end = _kst_day_bounds(day)
    return Coupon.objects.filter(
        store=store, status=Coupon.Status.REDEEMED, redeemed_at__gte=start, redeemed_at__lt=end
    ).count()


def stamps_given_count(*, store: Store, day: dt.date) -> int:
    """Return how many stamps `store` gave on KST `day`."""
    total = Stamp.objects.filter(store=store, day=day).aggregate(n=Coalesce(Sum("count"), 0))
    return int(total["n"])


def claimable_templates(*, store: Store, customer: User | None = None) -> QuerySet[CouponTemplate]:
    """Return `store`'s coupons a customer may claim now, with `held` (how many `customer`
    already holds) when a customer is given."""
    qs = CouponTemplate.objects.filter(
        ~template_expired_q(clock.now()), store=store, is_active=True, claimable=True
    )
    if customer is not None and customer.is_authenticated:
        qs = qs.annotate(held=Count("coupons", filter=Q(coupons__customer=customer)))
    return qs.order_by("valid_until", "id")


def store_templates(*, store: Store) -> QuerySet[CouponTemplate]:
    """Return all of `store`'s coupon templates, with how many were redeemed, newest first."""
    return CouponTemplate.objects.filter(store=store).annotate(
        redeemed=Count("coupons", filter=Q(coupons__status=Coupon.Status.REDEEMED))
    ).order_by("-created_at", "-id")


@dataclass
class Wallet:
    """A customer's coupons, split the way the wallet page shows them."""

    usable: list[Coupon]
    used: list[Coupon]
    expired: list[Coupon]


def wallet_for(*, customer: User) -> Wallet:
    """Return `customer`'s coupons: usable (soonest to expire first), used and expired."""
    now = clock.now()
    coupons = list(
        Coupon.objects.filter(customer=customer)
        .select_related("template", "store")
        .order_by("-issued_at", "-id")
    )
    usable = [
        c for c in coupons
        if c.status == Coupon.Status.ISSUED and not coupon_is_expired(c, at=now)
    ]
    usable.sort(key=lambda c: (c.template.valid_until, c.pk))
    used = [c for c in coupons if c.status == Coupon.Status.REDEEMED]
    expired = [c for c in coupons if coupon_is_expired(c, at=now)]
    return Wallet(usable=usable, used=used, expired=expired)


def coupons_of(*, customer: User) -> QuerySet[Coupon]:
    """Return all of `customer`'s coupons with template and store, newest first."""
    return (
        Coupon.objects.filter(customer=customer)
        .select_related("template", "store")
        .order_by("-issued_at", "-id")
    )


def coupon_of_customer(*, customer: User, coupon_id: int) -> Coupon:
    """Return `customer`'s coupon `coupon_id`; raise NotFound if it is not theirs."""
    coupon = coupons_of(customer=customer).filter(pk=coupon_id).first()
    if coupon is None:
        raise NotFound()
    return coupon


def coupon_by_token(*, token: str) -> Coupon | None:
    """Return the coupon with QR token `token`, with its template and store."""
    return Coupon.objects.select_related("template", "store").filter(token=token).first()


def stamp_cards_of(*, customer: User) -> QuerySet[StampCard]:
    """Return `customer`'s stamp cards with program, reward and store, recent first."""
    return (
        StampCard.objects.filter(customer=customer)
        .select_related("program", "program__reward", "program__store")
        .order_by("-updated_at", "-id")
    )


def stamps_of(*, customer: User) -> QuerySet[Stamp]:
    """Return every stamp given to `customer`, oldest first, with its store."""
    return (
        Stamp.objects.filter(card__customer=customer)
        .select_related("store", "card__program")
        .order_by("given_at", "id")
    )


def stamp_program_of(*, store: Store) -> StampCardProgram | None:
    """Return `store`'s active stamp program with its reward, or None."""
    programs = StampCardProgram.objects.select_related("reward")
    return programs.filter(store=store, is_active=True).first()


def recent_stamps(*, store: Store, limit: int = 10) -> QuerySet[Stamp]:
    """Return `store`'s latest stamp gives with card and customer."""
    return (
        Stamp.objects.filter(store=store)
        .select_related("card", "card__customer", "given_by")
        .order_by("-given_at", "-id")[:limit]
    )
