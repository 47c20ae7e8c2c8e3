"""The store's public page: profile, products and prices, recent posts, regulars."""

import datetime as dt

import pytest
from django.urls import reverse

from dangol.core.clock import kst
from dangol.places.models import Post, Store
from dangol.regulars.services import follow_create
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    ProductFactory,
    SigunguFactory,
    StoreFactory,
    StoreMembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bansong():
    return MarketFactory(
        name="반송큰시장(반송2동시장)",
        region=SigunguFactory(),
        cycle="매일",
        products=["채소", "수산물", "반찬"],
        has_public_toilet=True,
        has_parking=False,
        opened_year=1975,
        phone="051-544-1234",
        source_name="소상공인시장진흥공단 전국전통시장표준데이터",
        source_date=dt.date(2024, 11, 4),
    )


@pytest.fixture
def fish_store(bansong):
    store = StoreFactory(
        market=bansong, name="반송고등어", category=Store.Category.SEAFOOD,
        phone="+82515441234", hours="08:00–20:00", address="",
    )
    ProductFactory(store=store, name="고등어 1손", price=12000, unit="2마리")
    ProductFactory(store=store, name="갈치", price=25000, is_available=False)
    return store


def test_store_page_shows_profile_products_and_prices(client, fish_store):
    html = client.get(fish_store.get_absolute_url()).content.decode()

    assert "<h1>반송고등어</h1>" in html
    assert "수산물" in html
    assert "고등어 1손" in html
    assert "₩12,000" in html
    assert "₩25,000" in html and "품절" in html
    assert "08:00–20:00" in html
    assert f'href="{fish_store.market.get_absolute_url()}"' in html
    assert "부산광역시 해운대구 윗반송로51번길 86" in html  # the market's address


def test_store_page_links_phone_in_national_format(client, fish_store):
    html = client.get(fish_store.get_absolute_url()).content.decode()

    assert 'href="tel:+82515441234"' in html
    assert "051-544-1234" in html


def test_store_page_shows_five_latest_published_posts(client, fish_store, frozen_clock):
    frozen_clock(kst(2026, 11, 21, 12))
    for day in range(1, 8):
        Post.objects.create(
            store=fish_store, title=f"소식 {day}일", body="오늘 들어온 생선",
            published_at=kst(2026, 11, day, 9),
        )
    Post.objects.create(
        store=fish_store, title="예약된 소식", body="아직", published_at=kst(2026, 11, 30, 9)
    )

    response = client.get(fish_store.get_absolute_url())

    titles = [post.title for post in response.context["posts"]]
    assert titles == ["소식 7일", "소식 6일", "소식 5일", "소식 4일", "소식 3일"]
    html = response.content.decode()
    assert "2026. 11. 7. (토)" in html
    assert "예약된 소식" not in html


def test_store_page_shows_follower_count(client, fish_store):
    for _ in range(3):
        follow_create(customer=CustomerFactory(), store=fish_store)

    html = client.get(fish_store.get_absolute_url()).content.decode()

    assert "단골 3명" in html


def test_store_page_is_404_for_unknown_store(client):
    assert client.get(reverse("regulars:store", args=[999999])).status_code == 404


def test_store_page_is_404_for_inactive_store_to_anonymous(client, fish_store):
    Store.objects.filter(pk=fish_store.pk).update(is_active=False)

    response = client.get(fish_store.get_absolute_url())

    assert response.status_code == 404
    assert "페이지를 찾을 수 없습니다" in response.content.decode()


def test_store_page_shows_inactive_store_to_its_owner(client, fish_store):
    Store.objects.filter(pk=fish_store.pk).update(is_active=False)
    owner = StoreMembershipFactory(store=fish_store).user
    client.force_login(owner)

    response = client.get(fish_store.get_absolute_url())

    assert response.status_code == 200
    assert "지금은 영업하지 않는 가게입니다" in response.content.decode()


@pytest.mark.parametrize("products", [1, 10])
def test_store_page_runs_a_small_constant_number_of_queries(
    client, bansong, django_assert_num_queries, products
):
    store = StoreFactory(market=bansong)
    ProductFactory.create_batch(products, store=store)

    # version fingerprint (anonymous page cache, a miss here), store with market and
    # region, products, posts, follower count
    with django_assert_num_queries(5):
        response = client.get(store.get_absolute_url())

    assert len(response.context["products"]) == products


def test_store_page_keeps_its_address_under_regulars(fish_store):
    assert reverse("regulars:store", args=[fish_store.pk]) == f"/stores/{fish_store.pk}/"
    assert fish_store.get_absolute_url() == f"/stores/{fish_store.pk}/"
