"""Browsing pages: market search, a region, a market (the store page: tests/regulars)."""

import datetime as dt
import re

import factory
import pytest
from django.urls import reverse

from dangol.places.models import Store
from tests.factories import (
    MarketFactory,
    SidoFactory,
    SigunguFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def haeundae():
    return SigunguFactory()


@pytest.fixture
def seoul_jongno():
    seoul = SidoFactory(code="11", name="서울특별시", full_name="서울특별시")
    return SigunguFactory(
        code="11110", name="종로구", full_name="서울특별시 종로구", parent=seoul
    )


@pytest.fixture
def bansong(haeundae):
    return MarketFactory(
        name="반송큰시장(반송2동시장)",
        region=haeundae,
        cycle="매일",
        products=["채소", "수산물", "반찬"],
        has_public_toilet=True,
        has_parking=False,
        opened_year=1975,
        phone="051-544-1234",
        source_name="소상공인시장진흥공단 전국전통시장표준데이터",
        source_date=dt.date(2024, 11, 4),
    )


def listed(response) -> list[str]:
    """Return the names of the markets on the page."""
    return [market.name for market in response.context["page_obj"].object_list]


# --- market search ------------------------------------------------------------------------


def test_market_list_shows_name_district_type_and_store_count(client, bansong):
    response = client.get(reverse("places:market_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "시장 찾기" in html
    assert "반송큰시장(반송2동시장)" in html
    assert "부산광역시 해운대구" in html
    assert "상설장" in html
    assert "점포 171곳" in html


def test_market_list_searches_name_and_address(client, bansong, seoul_jongno):
    MarketFactory(
        name="광장시장", region=seoul_jongno, road_address="서울특별시 종로구 창경궁로 88"
    )

    by_name = client.get(reverse("places:market_list"), {"q": "광장"})
    by_address = client.get(reverse("places:market_list"), {"q": "윗반송로"})

    assert listed(by_name) == ["광장시장"]
    assert listed(by_address) == ["반송큰시장(반송2동시장)"]


def test_market_list_filters_by_sido(client, bansong, seoul_jongno):
    MarketFactory(name="광장시장", region=seoul_jongno)

    response = client.get(reverse("places:market_list"), {"sido": "11"})

    assert listed(response) == ["광장시장"]
    assert '<option value="11" selected>서울특별시</option>' in response.content.decode()


def test_market_list_ignores_a_malformed_sido(client, bansong):
    response = client.get(reverse("places:market_list"), {"sido": "2"})

    assert listed(response) == ["반송큰시장(반송2동시장)"]


def test_market_list_pages_by_thirty_and_keeps_the_query(client, haeundae):
    names = factory.Sequence(lambda n: f"해운대시장{n}")
    MarketFactory.create_batch(31, region=haeundae, name=names)

    first = client.get(reverse("places:market_list"), {"q": "해운대"})
    second = client.get(reverse("places:market_list"), {"q": "해운대", "page": 2})

    assert len(first.context["page_obj"].object_list) == 30
    assert len(second.context["page_obj"].object_list) == 1
    assert "?q=%ED%95%B4%EC%9A%B4%EB%8C%80&amp;page=2" in first.content.decode()


def test_market_list_says_when_nothing_matches(client, bansong):
    html = client.get(reverse("places:market_list"), {"q": "없는시장"}).content.decode()

    assert "조건에 맞는 시장이 없습니다" in html


@pytest.mark.parametrize("size", [3, 12])
def test_market_list_query_count_does_not_grow_with_markets(
    client, haeundae, django_assert_num_queries, size
):
    MarketFactory.create_batch(size, region=haeundae)

    # regions for the 시도 select, the count, the page of markets with their regions
    with django_assert_num_queries(3):
        response = client.get(reverse("places:market_list"))

    assert len(response.context["page_obj"].object_list) == size


# --- region ------------------------------------------------------------------------------


def test_region_page_lists_its_markets_only(client, bansong, seoul_jongno):
    MarketFactory(name="광장시장", region=seoul_jongno)

    response = client.get(reverse("places:region", args=["26350"]))

    assert "<h1>부산광역시 해운대구</h1>" in response.content.decode()
    assert listed(response) == ["반송큰시장(반송2동시장)"]


def test_sido_page_lists_its_districts_with_markets(client, bansong):
    html = client.get(reverse("places:region", args=["26"])).content.decode()

    assert "해운대구" in html
    assert reverse("places:region", args=["26350"]) in html
    assert "반송큰시장" in html


@pytest.mark.parametrize("code", ["99999", "abc", "263"])
def test_region_page_is_404_for_unknown_codes(client, haeundae, code):
    assert client.get(f"/regions/{code}/").status_code == 404


# --- market ------------------------------------------------------------------------------


def test_market_page_shows_official_facts(client, bansong):
    html = client.get(bansong.get_absolute_url()).content.decode()

    assert "<h1>반송큰시장(반송2동시장)</h1>" in html
    assert "부산광역시 해운대구 윗반송로51번길 86" in html
    assert "매일" in html
    assert "171곳" in html
    assert "1975년" in html
    assert re.search(r"<dt>공중화장실</dt>\s*<dd>있음</dd>", html)
    assert re.search(r"<dt>주차장</dt>\s*<dd>없음</dd>", html)
    assert "채소" in html and "수산물" in html
    assert 'href="tel:051-544-1234"' in html


def test_market_page_shows_data_attribution_for_official_data(client, bansong):
    html = client.get(bansong.get_absolute_url()).content.decode()

    assert "출처: 소상공인시장진흥공단 전국전통시장표준데이터 (2024. 11. 4. (월) 기준)" in html


def test_market_page_has_no_attribution_for_markets_added_by_hand(client, haeundae):
    market = MarketFactory(region=haeundae, source_name="")

    html = client.get(market.get_absolute_url()).content.decode()

    assert "출처:" not in html


def test_market_page_groups_stores_by_category(client, bansong):
    StoreFactory(market=bansong, name="부산수산", category=Store.Category.SEAFOOD)
    StoreFactory(market=bansong, name="해운대정육", category=Store.Category.MEAT)
    StoreFactory(market=bansong, name="반송반찬", category=Store.Category.SIDE_DISHES)
    StoreFactory(market=bansong, name="문닫은가게", is_active=False)

    response = client.get(bansong.get_absolute_url())

    categories = dict(response.context["categories"])
    assert [s.name for s in categories["수산물"]] == ["부산수산"]
    assert [s.name for s in categories["정육·축산물"]] == ["해운대정육"]
    assert [s.name for s in categories["반찬·김치"]] == ["반송반찬"]
    html = response.content.decode()
    # categories in their declared order: seafood, meat, side dishes
    assert html.index("부산수산") < html.index("해운대정육") < html.index("반송반찬")
    assert "문닫은가게" not in html


def test_market_page_is_404_for_unknown_market(client):
    assert client.get(reverse("places:market", args=[999999])).status_code == 404


@pytest.mark.parametrize("size", [2, 9])
def test_market_page_query_count_does_not_grow_with_stores(
    client, bansong, django_assert_num_queries, size
):
    categories = list(Store.Category.values)
    for i in range(size):
        StoreFactory(market=bansong, category=categories[i % len(categories)])

    # the market with its region and 시도, then every store in one query
    with django_assert_num_queries(2):
        response = client.get(bansong.get_absolute_url())

    assert response.context["store_total"] == size
