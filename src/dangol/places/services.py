"""Writes on regions, markets, stores, their products and posts, and who runs them.

Every function here is keyword-only, runs in one transaction and raises a domain error
(`dangol.core.errors.DangolError`) when its input breaks a rule; a refused write changes
nothing.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.brn import brn_normalize
from dangol.core.phone import InvalidPhone, phone_normalize
from dangol.places.errors import BrnTaken, InvalidPlace, InvalidRole
from dangol.places.models import (
    Market,
    MarketMembership,
    Post,
    Product,
    Region,
    Store,
    StoreMembership,
)

# Latitude and longitude bounds of the Republic of Korea, as the models' constraints have them.
_LATITUDE_RANGE = (Decimal(33), Decimal(39))
_LONGITUDE_RANGE = (Decimal(124), Decimal(132))


# --- helpers -----------------------------------------------------------------------------------


def _required_text(*, field: str, value: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidPlace(field=field, reason=_("값을 입력해 주세요."))
    if len(text) > max_length:
        raise InvalidPlace(field=field, reason=_("너무 깁니다."))
    return text


def _optional_text(*, field: str, value: str, max_length: int) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise InvalidPlace(field=field, reason=_("너무 깁니다."))
    return text


def _choice(*, field: str, value: str, choices: type[models.TextChoices]) -> str:
    if value not in choices.values:
        raise InvalidPlace(field=field, reason=_("허용되지 않는 값입니다."))
    return value


def _coordinate(
    *, field: str, value: Decimal | float | str | None, bounds: tuple[Decimal, Decimal]
) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation as exc:
        raise InvalidPlace(field=field, reason=_("숫자가 아닙니다.")) from exc
    if not bounds[0] <= number <= bounds[1]:
        raise InvalidPlace(field=field, reason=_("대한민국 범위를 벗어났습니다."))
    return number


def _store_phone(value: str) -> str:
    """Return a store's phone as E.164, '' for none; raise InvalidPhone if it is invalid."""
    text = (value or "").strip()
    if not text:
        return ""
    try:
        return phone_normalize(text)
    except InvalidPhone as exc:
        # A store's number is often a landline: say "전화번호", not "휴대전화 번호".
        raise InvalidPhone(_("전화번호가 올바르지 않습니다: %(value)s"), value=text) from exc


def _store_brn(value: str | None, *, store: Store | None = None) -> str | None:
    """Return the normalised BRN, None for none; raise InvalidBRN or BrnTaken."""
    if value is None or not str(value).strip():
        return None
    brn = brn_normalize(value)
    taken = Store.objects.filter(brn=brn)
    if store is not None:
        taken = taken.exclude(pk=store.pk)
    if taken.exists():
        raise BrnTaken(value=brn)
    return brn


def _full_clean(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's own validation, reported as a domain error."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidPlace(field=field, reason=" ".join(messages)) from exc


# --- regions -----------------------------------------------------------------------------------


@transaction.atomic
def region_ensure(
    *, code: str, name: str, full_name: str, parent: Region | None = None
) -> tuple[Region, bool]:
    """Return the region with `code`, creating it if missing, and whether it was created.

    A 2-digit code is a 시도, a 5-digit code a 시군구 (whose `parent` is its 시도). An existing
    region keeps its row (a national import may have marked it renamed); only a changed name
    or parent is written.
    """
    code = (code or "").strip()
    if len(code) == 2 and code.isdigit():
        level = Region.Level.SIDO
    elif len(code) == 5 and code.isdigit():
        level = Region.Level.SIGUNGU
    else:
        raise InvalidPlace(field="code", reason=_("시도는 2자리, 시군구는 5자리 숫자입니다."))
    name = _required_text(field="name", value=name, max_length=40)
    full_name = _required_text(field="full_name", value=full_name, max_length=80)
    if level == Region.Level.SIGUNGU and (parent is None or parent.code != code[:2]):
        raise InvalidPlace(
            field="parent", reason=_("시군구의 상위 지역은 코드 앞 2자리의 시도입니다.")
        )
    if level == Region.Level.SIDO and parent is not None:
        raise InvalidPlace(field="parent", reason=_("시도에는 상위 지역이 없습니다."))

    region = Region.objects.filter(code=code).first()
    if region is None:
        region = Region.objects.create(
            code=code, level=level, name=name, full_name=full_name, parent=parent
        )
        return region, True
    changed = []
    for attr, value in (("name", name), ("full_name", full_name), ("parent", parent)):
        if getattr(region, attr) != value:
            setattr(region, attr, value)
            changed.append(attr)
    if changed:
        region.save(update_fields=[*changed, "updated_at"])
    return region, False


# --- markets -----------------------------------------------------------------------------------

# Fields a market takes, with their cleaning; shared by market_create and market_update.
_MARKET_TEXT_FIELDS = {
    "cycle": 60, "road_address": 200, "lot_address": 200, "vouchers_accepted": 200,
    "homepage": 300, "phone": 40, "description": 100_000, "source_name": 100,
}


def _market_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field == "name":
            cleaned[field] = _required_text(field=field, value=value, max_length=100)
        elif field == "region":
            if value.level != Region.Level.SIGUNGU:
                raise InvalidPlace(field=field, reason=_("시장은 시군구에 속합니다."))
            cleaned[field] = value
        elif field == "kind":
            cleaned[field] = _choice(field=field, value=value, choices=Market.Kind)
        elif field == "market_type":
            cleaned[field] = _choice(field=field, value=value, choices=Market.MarketType)
        elif field == "latitude":
            cleaned[field] = _coordinate(field=field, value=value, bounds=_LATITUDE_RANGE)
        elif field == "longitude":
            cleaned[field] = _coordinate(field=field, value=value, bounds=_LONGITUDE_RANGE)
        elif field in _MARKET_TEXT_FIELDS:
            cleaned[field] = _optional_text(
                field=field, value=value, max_length=_MARKET_TEXT_FIELDS[field]
            )
        elif field in {"store_count", "opened_year"}:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise InvalidPlace(field=field, reason=_("0 이상의 정수여야 합니다."))
            cleaned[field] = value
        elif field == "products":
            cleaned[field] = [str(item).strip() for item in value if str(item).strip()]
        else:
            cleaned[field] = value
    return cleaned


@transaction.atomic
def market_create(
    *,
    name: str,
    region: Region,
    kind: str = Market.Kind.MARKET,
    market_type: str = Market.MarketType.PERMANENT,
    cycle: str = "",
    road_address: str = "",
    lot_address: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    store_count: int | None = None,
    products: list[str] | None = None,
    vouchers_accepted: str = "",
    homepage: str = "",
    has_public_toilet: bool | None = None,
    has_parking: bool | None = None,
    opened_year: int | None = None,
    phone: str = "",
    description: str = "",
    source_key: str | None = None,
    source_name: str = "",
    source_date: dt.date | None = None,
) -> Market:
    """Create a market (전통시장) or shopping street (상점가) in the 시군구 `region`.

    `source_key` is the natural key of an officially listed market
    (`market_source_key`); raise InvalidPlace if another market already has it.
    """
    if source_key and Market.objects.filter(source_key=source_key).exists():
        raise InvalidPlace(field="source_key", reason=_("이미 등록된 시장입니다."))
    values = _market_values({
        "name": name, "region": region, "kind": kind, "market_type": market_type,
        "cycle": cycle, "road_address": road_address, "lot_address": lot_address,
        "latitude": latitude, "longitude": longitude, "store_count": store_count,
        "products": products or [], "vouchers_accepted": vouchers_accepted,
        "homepage": homepage, "has_public_toilet": has_public_toilet,
        "has_parking": has_parking, "opened_year": opened_year, "phone": phone,
        "description": description, "source_name": source_name, "source_date": source_date,
    })
    market = Market(source_key=source_key or None, **values)
    _full_clean(market)
    market.save()
    return market


@transaction.atomic
def market_update(*, market: Market, **changes: Any) -> Market:
    """Change the given fields of `market` (the same names as `market_create` takes).

    Raise InvalidPlace for an unknown field or a value that breaks a rule. Only the changed
    fields are written.
    """
    allowed = {
        "name", "region", "kind", "market_type", "cycle", "road_address", "lot_address",
        "latitude", "longitude", "store_count", "products", "vouchers_accepted", "homepage",
        "has_public_toilet", "has_parking", "opened_year", "phone", "description",
        "source_name", "source_date",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidPlace(field=", ".join(sorted(unknown)), reason=_("바꿀 수 없는 항목입니다."))
    values = _market_values(changes)
    changed = [field for field, value in values.items() if getattr(market, field) != value]
    if not changed:
        return market
    for field in changed:
        setattr(market, field, values[field])
    _full_clean(market)
    market.save(update_fields=[*changed, "updated_at"])
    return market


# --- stores ------------------------------------------------------------------------------------


@transaction.atomic
def store_create(
    *,
    name: str,
    category: str,
    market: Market | None = None,
    region: Region | None = None,
    address: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    phone: str = "",
    hours: str = "",
    brn: str | None = None,
    sales_band: str = Store.SalesBand.UNKNOWN,
    description: str = "",
) -> Store:
    """Create a store in `market` (its region is the market's) or on a street in `region`.

    `brn` (사업자등록번호) is stored as 000-00-00000 and `phone` (landline or mobile) as
    E.164. Raise InvalidBRN for a malformed BRN or a wrong check digit, BrnTaken if another
    store has it, InvalidPhone for an invalid number and InvalidPlace for any other field; in
    every case nothing is created.
    """
    if market is not None:
        if region is not None and region.pk != market.region_id:
            raise InvalidPlace(
                field="region", reason=_("가게의 지역은 시장의 지역과 같아야 합니다.")
            )
        region = market.region
    if region is None:
        raise InvalidPlace(field="region", reason=_("시장이나 지역을 지정해 주세요."))
    store = Store(
        name=_required_text(field="name", value=name, max_length=100),
        category=_choice(field="category", value=category, choices=Store.Category),
        market=market,
        region=region,
        address=_optional_text(field="address", value=address, max_length=200),
        latitude=_coordinate(field="latitude", value=latitude, bounds=_LATITUDE_RANGE),
        longitude=_coordinate(field="longitude", value=longitude, bounds=_LONGITUDE_RANGE),
        phone=_store_phone(phone),
        hours=_optional_text(field="hours", value=hours, max_length=200),
        brn=_store_brn(brn),
        sales_band=_choice(field="sales_band", value=sales_band, choices=Store.SalesBand),
        description=(description or "").strip(),
    )
    _full_clean(store)
    store.save()
    return store


_UNCHANGED: Any = object()


@transaction.atomic
def store_update(
    *,
    store: Store,
    name: str = _UNCHANGED,
    category: str = _UNCHANGED,
    address: str = _UNCHANGED,
    latitude: Decimal | float | str | None = _UNCHANGED,
    longitude: Decimal | float | str | None = _UNCHANGED,
    phone: str = _UNCHANGED,
    hours: str = _UNCHANGED,
    brn: str | None = _UNCHANGED,
    sales_band: str = _UNCHANGED,
    description: str = _UNCHANGED,
    is_active: bool = _UNCHANGED,
) -> Store:
    """Change the given fields of `store`; omitted fields stay as they are.

    The same rules as `store_create` apply (an empty `phone` or `brn` clears it). Raise the
    same errors; a refused update changes nothing. Only changed fields are written.
    """
    values: dict[str, Any] = {}
    if name is not _UNCHANGED:
        values["name"] = _required_text(field="name", value=name, max_length=100)
    if category is not _UNCHANGED:
        values["category"] = _choice(field="category", value=category, choices=Store.Category)
    if address is not _UNCHANGED:
        values["address"] = _optional_text(field="address", value=address, max_length=200)
    if latitude is not _UNCHANGED:
        values["latitude"] = _coordinate(field="latitude", value=latitude, bounds=_LATITUDE_RANGE)
    if longitude is not _UNCHANGED:
        values["longitude"] = _coordinate(
            field="longitude", value=longitude, bounds=_LONGITUDE_RANGE
        )
    if phone is not _UNCHANGED:
        values["phone"] = _store_phone(phone)
    if hours is not _UNCHANGED:
        values["hours"] = _optional_text(field="hours", value=hours, max_length=200)
    if brn is not _UNCHANGED:
        values["brn"] = _store_brn(brn, store=store)
    if sales_band is not _UNCHANGED:
        values["sales_band"] = _choice(
            field="sales_band", value=sales_band, choices=Store.SalesBand
        )
    if description is not _UNCHANGED:
        values["description"] = (description or "").strip()
    if is_active is not _UNCHANGED:
        values["is_active"] = bool(is_active)
    changed = [field for field, value in values.items() if getattr(store, field) != value]
    if not changed:
        return store
    for field in changed:
        setattr(store, field, values[field])
    _full_clean(store)
    store.save(update_fields=[*changed, "updated_at"])
    return store


# --- products and posts ------------------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    store: Store,
    name: str,
    price: int,
    unit: str = "",
    is_available: bool = True,
    position: int | None = None,
) -> Product:
    """Add a product with its `price` in whole won to `store`; it goes last unless `position`
    is given. Raise InvalidPlace for an empty name or a price that is not a whole number of
    won ≥ 0."""
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        raise InvalidPlace(field="price", reason=_("가격은 0원 이상의 정수(원)입니다."))
    if position is None:
        last = store.products.aggregate(last=models.Max("position"))["last"]
        position = 0 if last is None else last + 1
    product = Product(
        store=store,
        name=_required_text(field="name", value=name, max_length=100),
        price=price,
        unit=_optional_text(field="unit", value=unit, max_length=30),
        is_available=is_available,
        position=position,
    )
    product.save()
    return product


@transaction.atomic
def post_create(
    *, store: Store, title: str, body: str, published_at: dt.datetime | None = None
) -> Post:
    """Publish a news post (소식) on `store`'s profile, now or at the aware `published_at`."""
    if published_at is not None and published_at.tzinfo is None:
        raise InvalidPlace(field="published_at", reason=_("시간대가 있는 시각이어야 합니다."))
    post = Post(
        store=store,
        title=_required_text(field="title", value=title, max_length=100),
        body=_required_text(field="body", value=body, max_length=10_000),
        published_at=published_at or clock.now(),
    )
    post.save()
    return post


# --- memberships -------------------------------------------------------------------------------


@transaction.atomic
def store_member_add(*, store: Store, user: User, role: str) -> StoreMembership:
    """Make `user` the owner or staff of `store` and return the membership.

    A user holds one role per store: adding them again with another role changes it.
    Raise InvalidRole for a role other than owner or staff.
    """
    if role not in {value for value, _label in StoreMembership.ROLES}:
        raise InvalidRole(role=role)
    membership = StoreMembership.objects.filter(store=store, user=user).first()
    if membership is None:
        return StoreMembership.objects.create(store=store, user=user, role=role)
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def market_member_add(*, market: Market, user: User, role: str) -> MarketMembership:
    """Make `user` the market association (상인회) or a tutor of `market`; adding the same
    role twice returns the existing membership. Raise InvalidRole for any other role."""
    if role not in {value for value, _label in MarketMembership.ROLES}:
        raise InvalidRole(role=role)
    membership, _created = MarketMembership.objects.get_or_create(
        market=market, user=user, role=role
    )
    return membership
