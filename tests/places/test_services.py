import datetime as dt
from decimal import Decimal

import pytest

from dangol.core import clock
from dangol.core.brn import InvalidBRN
from dangol.core.phone import InvalidPhone
from dangol.places.errors import BrnTaken, InvalidPlace, InvalidRole
from dangol.places.models import Market, MarketMembership, Product, Region, Store
from dangol.places.services import (
    market_create,
    market_member_add,
    market_update,
    post_create,
    product_create,
    region_ensure,
    store_create,
    store_member_add,
    store_update,
)
from tests.factories import (
    MarketFactory,
    SidoFactory,
    SigunguFactory,
    StaffUserFactory,
    StoreFactory,
    make_brn,
)

pytestmark = pytest.mark.django_db


# --- regions -----------------------------------------------------------------------------------


def test_region_ensure_creates_sido_and_sigungu():
    busan, created_busan = region_ensure(code="26", name="부산광역시", full_name="부산광역시")
    haeundae, created_haeundae = region_ensure(
        code="26350", name="해운대구", full_name="부산광역시 해운대구", parent=busan
    )

    assert (created_busan, created_haeundae) == (True, True)
    assert busan.level == Region.Level.SIDO
    assert haeundae.level == Region.Level.SIGUNGU
    assert haeundae.parent == busan


def test_region_ensure_returns_the_existing_region_without_a_new_row():
    existing = SigunguFactory()

    region, created = region_ensure(
        code="26350", name="해운대구", full_name="부산광역시 해운대구", parent=existing.parent
    )

    assert created is False
    assert region.pk == existing.pk
    assert Region.objects.count() == 2


def test_region_ensure_rejects_a_code_that_is_neither_sido_nor_sigungu():
    with pytest.raises(InvalidPlace):
        region_ensure(code="2635", name="해운대구", full_name="부산광역시 해운대구")
    assert not Region.objects.exists()


def test_region_ensure_rejects_a_sigungu_under_another_sido():
    seoul, _ = region_ensure(code="11", name="서울특별시", full_name="서울특별시")

    with pytest.raises(InvalidPlace):
        region_ensure(code="26350", name="해운대구", full_name="부산광역시 해운대구", parent=seoul)
    assert not Region.objects.filter(code="26350").exists()


# --- markets -----------------------------------------------------------------------------------


def test_market_create_stores_the_official_facts():
    region = SigunguFactory()

    market = market_create(
        name="반송큰시장(반송2동시장)", region=region, cycle="매일", latitude="35.23111721",
        longitude=129.1562096, store_count=171, products=["농산물", " 수산물 ", ""],
        has_parking=True, opened_year=1970, source_key="26350:반송큰시장(반송2동시장)",
        source_name="소상공인시장진흥공단", source_date=dt.date(2024, 11, 4),
    )

    market.refresh_from_db()
    assert market.latitude == Decimal("35.231117")
    assert market.longitude == Decimal("129.156210")
    assert market.products == ["농산물", "수산물"]
    assert market.source_date == dt.date(2024, 11, 4)


def test_market_create_rejects_coordinates_outside_korea():
    region = SigunguFactory()

    with pytest.raises(InvalidPlace):
        market_create(name="어딘가시장", region=region, latitude=51.5, longitude=-0.12)
    assert not Market.objects.exists()


def test_market_create_rejects_a_second_market_with_the_same_source_key():
    region = SigunguFactory()
    market_create(name="반송큰시장", region=region, source_key="26350:반송큰시장")

    with pytest.raises(InvalidPlace):
        market_create(name="반송큰시장", region=region, source_key="26350:반송큰시장")
    assert Market.objects.count() == 1


def test_market_create_rejects_a_sido_as_region():
    with pytest.raises(InvalidPlace):
        market_create(name="부산시장", region=SidoFactory())


def test_market_update_writes_only_the_given_fields():
    market = MarketFactory(store_count=100, phone="")

    market_update(market=market, store_count=171, phone="051-544-9005")

    market.refresh_from_db()
    assert (market.store_count, market.phone) == (171, "051-544-9005")


def test_market_update_refuses_an_unknown_field():
    market = MarketFactory()

    with pytest.raises(InvalidPlace):
        market_update(market=market, source_key="elsewhere")


# --- stores ------------------------------------------------------------------------------------


def test_store_create_normalises_brn_and_phone():
    market = MarketFactory()

    store = store_create(
        market=market, name="반송수산", category=Store.Category.SEAFOOD, brn="1168200276",
        phone="051-544-1234", hours="매일 07:00–20:00",
    )

    store.refresh_from_db()
    assert store.brn == "116-82-00276"
    assert store.phone == "+82515441234"
    assert store.region == market.region


@pytest.mark.parametrize(
    "typed", ["116 82 00276", "116 - 82 - 00276", "11682 00276", "１１６－８２－００２７６"]
)
def test_store_create_accepts_a_brn_typed_with_any_spacing_or_dashes(typed):
    store = store_create(
        market=MarketFactory(), name="반송수산", category=Store.Category.SEAFOOD, brn=typed
    )

    store.refresh_from_db()
    assert store.brn == "116-82-00276"


def test_store_create_with_an_invalid_brn_raises_and_creates_nothing():
    market = MarketFactory()

    with pytest.raises(InvalidBRN) as excinfo:
        store_create(
            market=market, name="반송수산", category=Store.Category.SEAFOOD, brn="116-82-00277"
        )

    assert "사업자등록번호가 올바르지 않습니다" in str(excinfo.value)
    assert not Store.objects.exists()


def test_store_create_with_an_invalid_phone_raises_and_creates_nothing():
    market = MarketFactory()

    with pytest.raises(InvalidPhone) as excinfo:
        store_create(
            market=market, name="반송수산", category=Store.Category.SEAFOOD,
            brn="116-82-00276", phone="051-12",
        )

    assert "전화번호가 올바르지 않습니다: 051-12" in str(excinfo.value)
    assert not Store.objects.exists()


def test_store_create_rejects_a_brn_another_store_has():
    existing = StoreFactory(brn="116-82-00276")

    with pytest.raises(BrnTaken):
        store_create(
            market=existing.market, name="다른가게", category=Store.Category.MEAT,
            brn="116-82-00276",
        )
    assert Store.objects.count() == 1


def test_store_create_rejects_an_unknown_category():
    with pytest.raises(InvalidPlace):
        store_create(market=MarketFactory(), name="반송수산", category="fish")
    assert not Store.objects.exists()


def test_store_create_on_a_street_needs_a_region():
    with pytest.raises(InvalidPlace):
        store_create(name="골목가게", category=Store.Category.OTHER)

    store = store_create(name="골목가게", category=Store.Category.OTHER, region=SigunguFactory())
    assert store.market is None


def test_store_update_changes_phone_and_keeps_the_rest():
    store = StoreFactory(phone="+82515441234", hours="08:00–20:00")

    store_update(store=store, phone="010-2345-6789")

    store.refresh_from_db()
    assert store.phone == "+821023456789"
    assert store.hours == "08:00–20:00"


def test_store_update_with_an_invalid_phone_changes_nothing():
    store = StoreFactory(phone="+82515441234", name="반송수산")

    with pytest.raises(InvalidPhone):
        store_update(store=store, name="새이름", phone="12345")

    store.refresh_from_db()
    assert (store.name, store.phone) == ("반송수산", "+82515441234")


def test_store_update_keeps_its_own_brn_and_refuses_another_stores():
    store = StoreFactory(brn=make_brn(1))
    other = StoreFactory(brn=make_brn(2))

    store_update(store=store, brn=make_brn(1).replace("-", ""))
    with pytest.raises(BrnTaken):
        store_update(store=store, brn=other.brn)

    store.refresh_from_db()
    assert store.brn == make_brn(1)


def test_store_update_can_close_a_store():
    store = StoreFactory()

    store_update(store=store, is_active=False)

    store.refresh_from_db()
    assert store.is_active is False


# --- products and posts ------------------------------------------------------------------------


def test_product_create_appends_products_in_order():
    store = StoreFactory()

    first = product_create(store=store, name="고등어", unit="1손", price=12_000)
    second = product_create(store=store, name="갈치", unit="1마리", price=15_000)

    assert (first.position, second.position) == (0, 1)
    assert list(store.products.values_list("name", flat=True)) == ["고등어", "갈치"]


@pytest.mark.parametrize("price", [-1, 12000.0, True, "12000"])
def test_product_create_refuses_a_price_that_is_not_whole_won(price):
    store = StoreFactory()

    with pytest.raises(InvalidPlace):
        product_create(store=store, name="고등어", price=price)
    assert not Product.objects.exists()


def test_post_create_publishes_now_by_default(frozen_clock):
    moment = clock.kst(2025, 3, 14, 10, 0)
    frozen_clock(moment)
    store = StoreFactory()

    post = post_create(store=store, title="오늘 들어온 갈치", body="기장에서 왔습니다.")

    assert post.published_at == moment


def test_post_create_refuses_a_naive_time():
    with pytest.raises(InvalidPlace):
        post_create(
            store=StoreFactory(), title="소식", body="내용",
            published_at=dt.datetime(2025, 3, 14, 10, 0),
        )


def test_post_create_refuses_an_empty_title():
    with pytest.raises(InvalidPlace):
        post_create(store=StoreFactory(), title="  ", body="내용")


# --- memberships -------------------------------------------------------------------------------


def test_store_member_add_gives_one_role_per_store():
    store, user = StoreFactory(), StaffUserFactory()

    store_member_add(store=store, user=user, role="staff")
    membership = store_member_add(store=store, user=user, role="owner")

    assert membership.role == "owner"
    assert store.memberships.count() == 1


def test_store_member_add_refuses_a_market_role():
    with pytest.raises(InvalidRole):
        store_member_add(store=StoreFactory(), user=StaffUserFactory(), role="association")


def test_market_member_add_twice_keeps_one_membership():
    market, user = MarketFactory(), StaffUserFactory()

    first = market_member_add(market=market, user=user, role="tutor")
    again = market_member_add(market=market, user=user, role="tutor")

    assert first.pk == again.pk
    assert MarketMembership.objects.count() == 1


def test_market_member_add_refuses_a_store_role():
    with pytest.raises(InvalidRole):
        market_member_add(market=MarketFactory(), user=StaffUserFactory(), role="owner")
