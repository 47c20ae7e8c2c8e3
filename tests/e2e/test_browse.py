"""A customer on a phone browses from the home page to 반송큰시장 and one of its stores."""

import re
from pathlib import Path

import pytest

from dangol.places.models import Store
from tests.factories import MarketFactory, ProductFactory, SigunguFactory, StoreFactory

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
# WCAG 1.4.10 (reflow): content must fit 320 CSS px, what 1280 px looks like at 400% zoom.
NARROW = {"width": 320, "height": 640}

pytestmark = pytest.mark.e2e


@pytest.fixture
def bansong(transactional_db):
    market = MarketFactory(
        name="반송큰시장(반송2동시장)",
        region=SigunguFactory(),
        road_address="부산광역시 해운대구 윗반송로51번길 86",
        latitude="35.231100",
        longitude="129.156200",
        store_count=171,
        products=["채소", "수산물", "정육", "반찬"],
        source_name="소상공인시장진흥공단 전국전통시장표준데이터",
    )
    fish = StoreFactory(market=market, name="반송수산", category=Store.Category.SEAFOOD)
    ProductFactory(store=fish, name="고등어 1손", price=12000, unit="2마리")
    ProductFactory(store=fish, name="생물 갈치", price=25000)
    meat = StoreFactory(market=market, name="해운대정육", category=Store.Category.MEAT)
    ProductFactory(store=meat, name="한우 불고기", price=18000, unit="300g")
    StoreFactory(market=market, name="반송할매반찬", category=Store.Category.SIDE_DISHES)
    StoreFactory(market=market, name="큰시장떡집", category=Store.Category.RICE_CAKE)
    return market


def fits_width(page) -> bool:
    """Return whether the page has no horizontal scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_customer_browses_from_home_to_a_store_on_a_phone(live_server, bansong, phone):
    from playwright.sync_api import expect

    RESULTS.mkdir(exist_ok=True)

    # Given the home page on a phone
    phone.goto(live_server.url + "/")
    nearby = phone.get_by_role("region", name="가까운 시장")
    market_link = nearby.get_by_role("link", name=re.compile("반송큰시장"))
    expect(market_link).to_be_visible()
    assert fits_width(phone)
    phone.screenshot(path=RESULTS / "browse-home.png", full_page=True)

    # When the customer opens the market
    market_link.click()

    # Then its stores are listed by category
    expect(phone.get_by_role("heading", level=1)).to_have_text("반송큰시장(반송2동시장)")
    stores = phone.get_by_role("region", name="단골에 등록된 가게")
    for category in ["수산물", "정육·축산물", "반찬·김치", "떡·제과"]:
        expect(stores.get_by_role("heading", level=3, name=re.compile(category))).to_be_visible()
    expect(phone.get_by_text(re.compile("^출처: 소상공인시장진흥공단"))).to_be_visible()
    assert fits_width(phone)
    phone.screenshot(path=RESULTS / "browse-market.png", full_page=True)

    # When they open a store
    stores.get_by_role("link", name=re.compile("반송수산")).click()

    # Then they see its name, a product with its price and the way back to the market
    expect(phone.get_by_role("heading", level=1)).to_have_text("반송수산")
    product = phone.locator(".prices li", has_text="고등어 1손")
    expect(product).to_be_visible()
    expect(product.locator(".price")).to_have_text("₩12,000")
    expect(phone.get_by_role("link", name="반송큰시장(반송2동시장)").first).to_be_visible()
    expect(phone.get_by_role("link", name="전화 걸기")).to_have_attribute(
        "href", "tel:+82515441234"
    )

    # And the page is set in Pretendard, served by the site itself, without sideways scrolling
    font_loaded = phone.evaluate(
        "async () => { await document.fonts.ready;"
        " return document.fonts.check('16px Pretendard'); }"
    )
    assert font_loaded
    pretendard_faces = phone.evaluate(
        "() => [...document.fonts].filter(f => f.family.replace(/\"/g, '') === 'Pretendard'"
        " && f.status === 'loaded').length"
    )
    assert pretendard_faces >= 1
    assert fits_width(phone)
    phone.screenshot(path=RESULTS / "browse-store.png", full_page=True)

    # And the store page still reflows at 320 CSS px
    phone.set_viewport_size(NARROW)
    assert fits_width(phone)
    phone.screenshot(path=RESULTS / "browse-store-320.png", full_page=True)
