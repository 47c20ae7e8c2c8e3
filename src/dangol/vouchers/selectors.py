"""Reads of vouchers."""

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.clock import KST
from dangol.ledger.models import Account
from dangol.places.models import Market, Store
from dangol.vouchers.models import LEDGER_OWNER_TYPE, Redemption, Refund, Voucher, VoucherProduct

WALLET_EXPIRING_DAYS = 30


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


def vouchers_of_person(*, user: User) -> QuerySet[Voucher]:
    """Return every voucher `user` bought or holds, oldest first, with product, issuer,
    gifts, redemptions (and their stores) and refund: their personal-data download."""
    mine = Q(buyer=user) | Q(holder=user)
    if user.phone:
        mine |= Q(holder_phone=user.phone)
    return (
        Voucher.objects.filter(mine)
        .select_related("product", "product__store", "product__market", "refund")
        .prefetch_related("gifts", "redemptions__store")
        .order_by("purchased_at", "id")
    )


# --- pages (shop, wallet, merchant) ---------------------------------------------------------


def voucher_products_on_sale(
    *, market: Market | None = None, store: Store | None = None
) -> QuerySet[VoucherProduct]:
    """Return the voucher products on sale with their issuer, optionally only those of
    `market` (its own and its stores') or those usable at `store`."""
    products = VoucherProduct.objects.filter(is_active=True).select_related(
        "store", "store__market", "market"
    )
    if market is not None:
        products = products.filter(Q(market=market) | Q(store__market=market))
    if store is not None:
        limited = VoucherProduct.accepted_stores.through.objects.filter(
            voucherproduct_id=OuterRef("pk")
        )
        accepting = VoucherProduct.accepted_stores.through.objects.filter(
            voucherproduct_id=OuterRef("pk"), store_id=store.pk
        )
        products = products.filter(
            Q(store=store)
            | Q(market_id=store.market_id, market__isnull=False)
            & (~Exists(limited) | Exists(accepting))
        )
    return products.order_by("market_id", "store__name", "face_value", "id")


def voucher_markets_on_sale() -> QuerySet[Market]:
    """Return the markets that sell vouchers (market-wide or of one of their stores)."""
    on_sale = VoucherProduct.objects.filter(is_active=True)
    return Market.objects.filter(
        Q(pk__in=on_sale.filter(market__isnull=False).values("market_id"))
        | Q(pk__in=on_sale.filter(store__isnull=False).values("store__market_id"))
    ).order_by("name")


def voucher_product_stores(*, product: VoucherProduct) -> list[Store]:
    """Return the active stores where vouchers of `product` are accepted, by name."""
    if product.store_id is not None:
        return [product.store] if product.store is not None else []
    listed = list(product.accepted_stores.order_by("name"))
    if listed:
        return [store for store in listed if store.is_active]
    market_id = product.market_id or 0
    return list(Store.objects.filter(market_id=market_id, is_active=True).order_by("name"))


def voucher_wallet(*, user: User, at: dt.datetime | None = None) -> dict[str, list[Voucher]]:
    """Return the vouchers `user` holds, split into "usable" (active, within validity) and
    "finished" (used, refunded or expired), each with `last_day` (the last usable instant)
    and `expiring_soon` (validity ends within 30 days)."""
    now = at or clock.now()
    soon = now + dt.timedelta(days=WALLET_EXPIRING_DAYS)
    usable: list[Voucher] = []
    finished: list[Voucher] = []
    vouchers = vouchers_held_by(user=user).select_related("product__store", "product__market")
    for voucher in vouchers.order_by("-purchased_at", "-id"):
        voucher.expired = voucher.is_expired(now)  # type: ignore[attr-defined]
        voucher.last_day = voucher.valid_until - dt.timedelta(  # type: ignore[attr-defined]
            microseconds=1
        )
        voucher.expiring_soon = (  # type: ignore[attr-defined]
            not voucher.expired and voucher.valid_until <= soon  # type: ignore[attr-defined]
        )
        if voucher.status == Voucher.Status.ACTIVE and not voucher.expired:  # type: ignore[attr-defined]
            usable.append(voucher)
        else:
            finished.append(voucher)
    return {"usable": usable, "finished": finished}


def vouchers_given_away(*, user: User) -> QuerySet[Voucher]:
    """Return the vouchers `user` bought that someone else now holds (their gifts)."""
    held = Q(holder=user)
    if user.phone:
        held |= Q(holder_phone=user.phone)
    return (
        Voucher.objects.filter(buyer=user).exclude(held)
        .select_related("product").order_by("-purchased_at", "-id")
    )


def voucher_of_viewer(*, user: User, voucher_id: int) -> Voucher:
    """Return the voucher if `user` holds it or bought it; raise Voucher.DoesNotExist."""
    held = Q(holder=user) | Q(buyer=user)
    if user.phone:
        held |= Q(holder_phone=user.phone)
    return Voucher.objects.select_related(
        "product", "product__store", "product__market"
    ).get(held, pk=voucher_id)


def voucher_is_held_by(*, voucher: Voucher, user: User) -> bool:
    """Return whether `user` is the voucher's holder (by user or by mobile number)."""
    return voucher.holder_id == user.pk or bool(user.phone and voucher.holder_phone == user.phone)


def voucher_history(*, voucher: Voucher) -> list[dict[str, Any]]:
    """Return what happened to the voucher, oldest first: purchase, gifts, redemptions
    (with the store), refund. Each item has "kind", "at" and the row as "row"."""
    events: list[dict[str, Any]] = [
        {"kind": "purchase", "at": voucher.purchased_at, "row": voucher}
    ]
    events += [{"kind": "gift", "at": gift.created_at, "row": gift} for gift in voucher.gifts.all()]
    events += [
        {"kind": "redemption", "at": redemption.created_at, "row": redemption}
        for redemption in voucher.redemptions.select_related("store")
    ]
    refund = Refund.objects.filter(voucher=voucher).first()
    if refund is not None:
        events.append({"kind": "refund", "at": refund.created_at, "row": refund})
    return sorted(events, key=lambda event: event["at"])


def voucher_by_code(*, code: str) -> Voucher | None:
    """Return the voucher with the counter code `code` (spaces and dashes ignored)."""
    cleaned = "".join(code.split()).replace("-", "").upper()
    if not cleaned:
        return None
    return Voucher.objects.select_related("product").filter(code=cleaned).first()


def voucher_by_token(*, token: str) -> Voucher | None:
    """Return the voucher whose QR carries `token`."""
    return Voucher.objects.select_related("product").filter(qr_token=token).first()


def store_voucher_summary(*, store: Store, at: dt.datetime | None = None) -> dict[str, Any]:
    """Return the store's voucher figures for today and this month (KST): vouchers of its own
    products sold (count, paid, face value) and redemptions at the store (count, amount, fee),
    with the 20 latest redemptions."""
    local = (at or clock.now()).astimezone(KST)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    sold = Voucher.objects.filter(product__store=store)
    redeemed = Redemption.objects.filter(store=store)
    figures: dict[str, Any] = {}
    for label, start in (("today", today), ("month", month)):
        figures[f"sold_{label}"] = sold.filter(purchased_at__gte=start).aggregate(
            count=Count("id"), paid=Coalesce(Sum("payment__amount"), 0),
            face=Coalesce(Sum("face_value"), 0),
        )
        figures[f"redeemed_{label}"] = redeemed.filter(created_at__gte=start).aggregate(
            count=Count("id"), amount=Coalesce(Sum("amount"), 0), fee=Coalesce(Sum("fee"), 0),
        )
    figures["recent"] = list(
        redeemed.select_related("voucher__product", "staff").order_by("-created_at", "-id")[:20]
    )
    return figures
