"""The read API for regions, markets and stores: filters, pagination, errors, query counts."""

import datetime as dt

import pytest

from dangol.core.api import MAX_LIMIT
from dangol.places.models import Market, Region, Store
from tests.factories import (
    MarketFactory,
    ProductFactory,
    SidoFactory,
    SigunguFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seoul_jongno():
    seoul = SidoFactory(code="11", name="서울특별시", full_name="서울특별시")
    return SigunguFactory(code="11110", name="종로구", full_name="서울특별시 종로구", parent=seoul)


@pytest.fixture
def haeundae():
    return SigunguFactory()


# --- regions --------------------------------------------------------------------------------


def test_regions_filter_by_level(client, haeundae, seoul_jongno):
    response = client.get("/api/regions", {"level": "sido"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["code"] for r in body["items"]] == ["11", "26"]
    assert body["items"][0] == {
        "code": "11", "name": "서울특별시", "full_name": "서울특별시", "level": "sido",
        "parent": None,
    }


def test_regions_filter_by_parent_lists_its_sigungu(client, haeundae, seoul_jongno):
    response = client.get("/api/regions", {"parent": "26"})

    assert [r["code"] for r in response.json()["items"]] == ["26350"]
    assert response.json()["items"][0]["parent"] == "26"


def test_regions_leave_out_abolished_regions(client, haeundae):
    SigunguFactory(code="26999", name="옛구", full_name="부산광역시 옛구", is_active=False)

    response = client.get("/api/regions", {"parent": "26"})

    assert [r["code"] for r in response.json()["items"]] == ["26350"]


def test_regions_reject_unknown_level(client):
    response = client.get("/api/regions", {"level": "dong"})

    assert response.status_code == 422


def test_region_detail_by_code(client, haeundae):
    response = client.get("/api/regions/26350")

    assert response.status_code == 200
    assert response.json()["full_name"] == "부산광역시 해운대구"


def test_region_detail_unknown_code_is_404_with_korean_message(client):
    response = client.get("/api/regions/99999")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "지역을 찾을 수 없습니다."}


# --- markets --------------------------------------------------------------------------------


def test_market_list_carries_region_coordinates_products_and_source(client, haeundae):
    MarketFactory(
        name="반송큰시장", region=haeundae, products=["수산물", "농산물"], store_count=171,
        source_name="소상공인시장진흥공단", source_date=dt.date(2024, 11, 4),
    )

    response = client.get("/api/markets")

    assert response.status_code == 200
    [market] = response.json()["items"]
    assert market["name"] == "반송큰시장"
    assert market["region"] == {
        "code": "26350", "name": "해운대구", "full_name": "부산광역시 해운대구"
    }
    assert market["latitude"] == pytest.approx(35.2311)
    assert market["longitude"] == pytest.approx(129.1562)
    assert market["store_count"] == 171
    assert market["products"] == ["수산물", "농산물"]
    assert market["source_name"] == "소상공인시장진흥공단"
    assert market["source_date"] == "2024-11-04"
    assert market["kind"] == "market"
    assert market["kind_label"] == "전통시장"


@pytest.mark.parametrize(("region", "expected"), [("26", ["부산시장"]), ("11110", ["종로시장"])])
def test_market_list_filters_by_sido_or_sigungu_code(
    client, haeundae, seoul_jongno, region, expected
):
    MarketFactory(name="부산시장", region=haeundae)
    MarketFactory(name="종로시장", region=seoul_jongno)

    response = client.get("/api/markets", {"region": region})

    assert [m["name"] for m in response.json()["items"]] == expected


def test_market_list_rejects_malformed_region_code(client):
    response = client.get("/api/markets", {"region": "2635"})

    assert response.status_code == 422


def test_market_list_filters_by_name_and_kind(client, haeundae):
    MarketFactory(name="반송큰시장", region=haeundae)
    MarketFactory(name="반송상점가", region=haeundae, kind=Market.Kind.STREET)
    MarketFactory(name="재송시장", region=haeundae, road_address="부산광역시 해운대구 재반로 1")

    by_name = client.get("/api/markets", {"q": "반송"}).json()
    by_both = client.get("/api/markets", {"q": "반송", "kind": "street"}).json()

    assert sorted(m["name"] for m in by_name["items"]) == ["반송상점가", "반송큰시장"]
    assert [m["name"] for m in by_both["items"]] == ["반송상점가"]


def test_market_detail_includes_description(client):
    market = MarketFactory(description="부산 해운대구의 전통시장")

    response = client.get(f"/api/markets/{market.pk}")

    assert response.status_code == 200
    assert response.json()["description"] == "부산 해운대구의 전통시장"


def test_market_detail_unknown_id_is_404_with_korean_message(client):
    response = client.get("/api/markets/999999")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "시장을 찾을 수 없습니다."}


# --- stores ---------------------------------------------------------------------------------


def test_store_detail_shows_products_in_won_hours_category_and_national_phone(client):
    store = StoreFactory(
        name="반송수산", phone="+82515441234", hours="08:00–20:00", description="싱싱한 생선"
    )
    ProductFactory(store=store, name="고등어 1손", price=12000, unit="1손", position=1)
    ProductFactory(store=store, name="갈치", price=25000, unit="1마리", position=2)

    response = client.get(f"/api/stores/{store.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["phone"] == "051-544-1234"
    assert body["hours"] == "08:00–20:00"
    assert body["category"] == "seafood"
    assert body["category_label"] == "수산물"
    assert body["description"] == "싱싱한 생선"
    assert body["market"] == {"id": store.market.pk, "name": store.market.name}
    assert [(p["name"], p["price"], p["unit"]) for p in body["products"]] == [
        ("고등어 1손", 12000, "1손"), ("갈치", 25000, "1마리"),
    ]
    assert all(type(p["price"]) is int for p in body["products"])


def test_store_detail_unknown_id_is_404_with_korean_message(client):
    response = client.get("/api/stores/999999")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "가게를 찾을 수 없습니다."}


def test_inactive_store_is_hidden_from_anonymous_callers(client):
    closed = StoreFactory(is_active=False)
    StoreFactory(market=closed.market)

    listing = client.get("/api/stores").json()
    detail = client.get(f"/api/stores/{closed.pk}")

    assert closed.pk not in [s["id"] for s in listing["items"]]
    assert listing["count"] == 1
    assert detail.status_code == 404


def test_store_list_filters_by_market(client):
    mine = StoreFactory()
    StoreFactory()

    response = client.get("/api/stores", {"market": mine.market.pk})

    assert [s["id"] for s in response.json()["items"]] == [mine.pk]


def test_store_list_filters_by_region_prefix(client, haeundae, seoul_jongno):
    busan = StoreFactory(market=MarketFactory(region=haeundae))
    StoreFactory(market=MarketFactory(region=seoul_jongno))

    response = client.get("/api/stores", {"region": "26"})

    assert [s["id"] for s in response.json()["items"]] == [busan.pk]


def test_store_list_filters_by_category(client):
    market = MarketFactory()
    butcher = StoreFactory(market=market, category=Store.Category.MEAT)
    StoreFactory(market=market, category=Store.Category.SEAFOOD)

    response = client.get("/api/stores", {"category": "meat"})

    assert [s["id"] for s in response.json()["items"]] == [butcher.pk]


def test_store_list_searches_names_and_products_without_duplicates(client):
    fish = StoreFactory(name="반송수산")
    ProductFactory(store=fish, name="고등어 1손")
    ProductFactory(store=fish, name="고등어 2손")
    by_product = StoreFactory(name="부산상회")
    ProductFactory(store=by_product, name="고등어 자반")
    StoreFactory(name="떡집")

    response = client.get("/api/stores", {"q": "고등어"})

    body = response.json()
    assert body["count"] == 2
    assert sorted(s["id"] for s in body["items"]) == sorted([fish.pk, by_product.pk])


def test_store_list_rejects_unknown_category(client):
    response = client.get("/api/stores", {"category": "cars"})

    assert response.status_code == 422


# --- pagination -----------------------------------------------------------------------------


def test_list_pages_with_limit_and_offset_and_reports_total(client):
    market = MarketFactory()
    stores = [StoreFactory(market=market, name=f"가게{i:02d}") for i in range(5)]

    response = client.get("/api/stores", {"limit": 2, "offset": 2})

    body = response.json()
    assert body["count"] == 5
    assert [s["id"] for s in body["items"]] == [stores[2].pk, stores[3].pk]


def test_list_default_page_is_20(client):
    market = MarketFactory()
    for _ in range(21):
        StoreFactory(market=market)

    body = client.get("/api/stores").json()

    assert body["count"] == 21
    assert len(body["items"]) == 20


def test_list_offset_past_the_end_is_an_empty_page(client):
    StoreFactory()

    body = client.get("/api/stores", {"offset": 50}).json()

    assert body == {"count": 1, "items": []}


def test_list_accepts_the_maximum_limit(client):
    response = client.get("/api/regions", {"limit": MAX_LIMIT})

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/regions", "/api/markets", "/api/stores"])
@pytest.mark.parametrize("limit", [MAX_LIMIT + 1, 0])
def test_list_refuses_limit_out_of_bounds_instead_of_clamping(client, path, limit):
    response = client.get(path, {"limit": limit})

    assert response.status_code == 422


def test_list_refuses_negative_offset(client):
    response = client.get("/api/markets", {"offset": -1})

    assert response.status_code == 422


# --- query counts ---------------------------------------------------------------------------

# count + page (+ one prefetch of products for stores), whatever the number of rows.
STORE_LIST_QUERIES = 3
MARKET_LIST_QUERIES = 2
REGION_LIST_QUERIES = 2


@pytest.mark.parametrize("stores", [3, 30])
def test_store_list_runs_constant_queries(client, django_assert_num_queries, stores):
    market = MarketFactory()
    for _ in range(stores):
        ProductFactory.create_batch(3, store=StoreFactory(market=market))

    with django_assert_num_queries(STORE_LIST_QUERIES):
        response = client.get("/api/stores", {"limit": MAX_LIMIT})

    assert len(response.json()["items"]) == stores
    assert all(len(s["products"]) == 3 for s in response.json()["items"])


@pytest.mark.parametrize("markets", [3, 30])
def test_market_list_runs_constant_queries(client, django_assert_num_queries, markets, haeundae):
    MarketFactory.create_batch(markets, region=haeundae, products=["수산물"])

    with django_assert_num_queries(MARKET_LIST_QUERIES):
        response = client.get("/api/markets", {"limit": MAX_LIMIT})

    assert len(response.json()["items"]) == markets


@pytest.mark.parametrize("regions", [3, 30])
def test_region_list_runs_constant_queries(client, django_assert_num_queries, regions, haeundae):
    for i in range(regions):
        Region.objects.create(
            code=f"26{i + 400:03d}", level=Region.Level.SIGUNGU, name=f"구{i}",
            full_name=f"부산광역시 구{i}", parent_id="26",
        )

    with django_assert_num_queries(REGION_LIST_QUERIES):
        response = client.get("/api/regions", {"parent": "26", "limit": MAX_LIMIT})

    assert response.json()["count"] == regions + 1
