"""Read endpoints for regions, markets and stores.

Public: anyone may read regions, markets and active stores. A bearer token or the session
makes the caller its owner, and access (`stores_visible_to`) adds what the owner may see
(their own inactive stores). Lists answer `{count, items}` with `limit` (1–100) and `offset`.
"""

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate

from dangol.access.checks import stores_visible_to
from dangol.accounts.api import anonymous_openapi, optional_auth, request_actor
from dangol.core.api import ErrorOut, Pagination
from dangol.core.errors import NotFound
from dangol.core.phone import phone_display
from dangol.places import selectors
from dangol.places.models import Market, Product, Region, Store

router = Router(tags=["places"], auth=optional_auth)

REGION_CODE_PATTERN = r"^[0-9]{2}([0-9]{3})?$"


# --- filters --------------------------------------------------------------------------------


class RegionFilter(Schema):
    level: Region.Level | None = Field(None, description="sido(시도) 또는 sigungu(시군구)")
    parent: str | None = Field(
        None, pattern=r"^[0-9]{2}$", description="시도 코드(2자리): 그 시도의 시군구만"
    )


class MarketFilter(Schema):
    region: str | None = Field(
        None, pattern=REGION_CODE_PATTERN,
        description="시도(2자리) 또는 시군구(5자리) 코드 / 2-digit 시도 or 5-digit 시군구 code",
    )
    q: str | None = Field(None, max_length=100, description="시장명·도로명주소 검색어")
    kind: Market.Kind | None = Field(None, description="market(전통시장) 또는 street(상점가)")


class StoreFilter(Schema):
    market: int | None = Field(None, ge=1, description="시장 id")
    region: str | None = Field(
        None, pattern=REGION_CODE_PATTERN, description="시도(2자리) 또는 시군구(5자리) 코드"
    )
    category: Store.Category | None = Field(None, description="업종")
    q: str | None = Field(None, max_length=100, description="가게 이름·상품명 검색어")


# --- output ---------------------------------------------------------------------------------


class RegionRef(Schema):
    code: str
    name: str = Field(description="예: 해운대구")
    full_name: str = Field(description="예: 부산광역시 해운대구")


class RegionOut(RegionRef):
    level: str = Field(description="sido | sigungu")
    parent: str | None = Field(description="상위 시도 코드")

    @staticmethod
    def resolve_parent(obj: Region) -> str | None:
        return obj.parent_id


class MarketOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    market_type: str
    market_type_label: str
    cycle: str = Field(description="개설주기")
    region: RegionRef
    road_address: str
    lot_address: str
    latitude: float | None
    longitude: float | None
    store_count: int | None = Field(description="점포수 (공공데이터 기준)")
    products: list[str] = Field(description="취급품목")
    vouchers_accepted: str = Field(description="사용가능상품권")
    homepage: str
    phone: str
    has_public_toilet: bool | None
    has_parking: bool | None
    opened_year: int | None
    source_name: str = Field(description="데이터 출처 (예: 소상공인시장진흥공단)")
    source_date: date | None = Field(description="데이터 기준일")

    @staticmethod
    def resolve_kind_label(obj: Market) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_market_type_label(obj: Market) -> str:
        return obj.get_market_type_display()


class MarketDetailOut(MarketOut):
    description: str


class MarketRef(Schema):
    id: int
    name: str


class ProductOut(Schema):
    id: int
    name: str
    price: int = Field(description="가격 (원) / price in won")
    unit: str
    is_available: bool


class StoreOut(Schema):
    id: int
    name: str
    category: str
    category_label: str
    market: MarketRef | None
    region: RegionRef
    address: str
    latitude: float | None
    longitude: float | None
    phone: str = Field(description="전화번호 (국내 형식, 예: 051-544-1234)")
    hours: str = Field(description="영업시간")
    is_active: bool = Field(description="영업 중 (비활성 가게는 그 구성원에게만 보입니다)")
    products: list[ProductOut]

    @staticmethod
    def resolve_category_label(obj: Store) -> str:
        return obj.get_category_display()

    @staticmethod
    def resolve_phone(obj: Store) -> str:
        return phone_display(obj.phone)

    @staticmethod
    def resolve_products(obj: Store) -> list[Product]:
        return list(obj.products.all())


class StoreDetailOut(StoreOut):
    description: str


# --- endpoints ------------------------------------------------------------------------------


@router.get(
    "/regions", response={200: list[RegionOut], 401: ErrorOut},
    summary="지역 목록 / regions", openapi_extra=anonymous_openapi(),
)
@paginate(Pagination)
def list_regions(request: HttpRequest, filters: Query[RegionFilter]) -> Any:
    """Return current 시도 and 시군구, by code."""
    return selectors.region_list(level=filters.level, parent=filters.parent)


@router.get(
    "/regions/{code}", response={200: RegionOut, 401: ErrorOut, 404: ErrorOut},
    summary="지역 / region", openapi_extra=anonymous_openapi(),
)
def get_region(
    request: HttpRequest,
    code: str = Path(..., pattern=REGION_CODE_PATTERN,  # noqa: B008
                     description="시도(2자리) 또는 시군구(5자리) 코드"),
) -> Region:
    """Return one current region by its 2- or 5-digit code."""
    region = selectors.region_list().filter(code=code).first()
    if region is None:
        raise NotFound(_("지역을 찾을 수 없습니다."))
    return region


@router.get(
    "/markets", response={200: list[MarketOut], 401: ErrorOut},
    summary="시장 목록 / markets", openapi_extra=anonymous_openapi(),
)
@paginate(Pagination)
def list_markets(request: HttpRequest, filters: Query[MarketFilter]) -> Any:
    """Return markets and shopping streets with their region and data source."""
    return selectors.market_list(region=filters.region, q=filters.q, kind=filters.kind)


@router.get(
    "/markets/{int:market_id}", response={200: MarketDetailOut, 401: ErrorOut, 404: ErrorOut},
    summary="시장 / market", openapi_extra=anonymous_openapi(),
)
def get_market(request: HttpRequest, market_id: int) -> Market:
    """Return one market with its region and data source."""
    market = selectors.market_list().filter(pk=market_id).first()
    if market is None:
        raise NotFound(_("시장을 찾을 수 없습니다."))
    return market


@router.get(
    "/stores", response={200: list[StoreOut], 401: ErrorOut},
    summary="가게 목록 / stores", openapi_extra=anonymous_openapi(),
)
@paginate(Pagination)
def list_stores(request: HttpRequest, filters: Query[StoreFilter]) -> Any:
    """Return the stores the caller may see, with their products."""
    return selectors.store_list(
        visible=stores_visible_to(request_actor(request)), market=filters.market,
        region=filters.region, category=filters.category, q=filters.q,
    ).prefetch_related("products")


@router.get(
    "/stores/{int:store_id}", response={200: StoreDetailOut, 401: ErrorOut, 404: ErrorOut},
    summary="가게 / store", openapi_extra=anonymous_openapi(),
)
def get_store(request: HttpRequest, store_id: int) -> Store:
    """Return one store the caller may see, with its products."""
    try:
        return selectors.store_get(
            visible=stores_visible_to(request_actor(request)), store_id=store_id
        )
    except Store.DoesNotExist:
        raise NotFound(_("가게를 찾을 수 없습니다.")) from None

