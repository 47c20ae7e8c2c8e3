"""The demo as a customer sees it: sign in with the phone number and the one-time code
from the development outbox, find my stores, go to 반송큰시장 and into a store."""

import re
from pathlib import Path

import pytest

from dangol.demo.seed import DEMO_CUSTOMER_PHONE, demo_seed
from dangol.places.models import Market
from dangol.regulars.selectors import stores_followed_by

RESULTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(transactional_db):
    demo_seed()
    return Market.objects.get(name="반송큰시장(반송2동시장)")


def test_demo_customer_signs_in_and_visits_bansong_market_and_a_store(live_server, phone, demo):
    page = phone
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="로그인").first.click()

    page.get_by_label("휴대전화 번호").fill(DEMO_CUSTOMER_PHONE)
    page.get_by_role("button", name="인증번호 받기").click()
    page.wait_for_url("**/login/phone/verify/")
    assert page.get_by_text("010-****-5678").is_visible()

    # The demo shows the code on the development outbox page, as the README says.
    outbox = page.context.new_page()
    outbox.goto(live_server.url + "/dev/outbox/")
    code = re.search(r"인증번호 ([0-9]{6})", outbox.locator("main").inner_text()).group(1)
    outbox.close()

    page.get_by_label("인증번호 6자리").fill(code)
    page.get_by_role("button", name="확인").click()
    page.wait_for_url(live_server.url + "/")

    # Home: the stores this customer follows, and the market they trade in.
    from dangol.accounts.models import User

    customer = User.objects.get(phone="+821012345678")
    followed = list(stores_followed_by(customer=customer))
    assert followed, "the demo customer follows stores"
    main = page.locator("main")
    assert "내 단골 가게" in main.inner_text()
    for store in followed:
        assert store.name in main.inner_text()

    page.locator(f'main a[href="{demo.get_absolute_url()}"]').first.click()
    page.wait_for_url(f"**{demo.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("반송큰시장")
    market_text = page.locator("main").inner_text()
    assert "수산물" in market_text
    assert "점포" in market_text

    store = followed[0]
    store_link = page.locator(f'main a[href="{store.get_absolute_url()}"]').first
    assert store.name in store_link.inner_text()
    store_link.click()
    page.wait_for_url(f"**{store.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text() == store.name
    product = store.products.order_by("position", "id").first()
    price = f"₩{product.price:,}"
    assert price in page.locator("main").inner_text()
    assert page.get_by_role("link", name=re.compile("반송큰시장")).first.is_visible()

    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "demo-customer-store.png"), full_page=True)
