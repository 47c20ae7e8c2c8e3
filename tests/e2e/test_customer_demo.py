"""The demo as a customer sees it: sign in with the phone number and the one-time code
from the development outbox, find my stores, go to 반송큰시장 and into a store."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dangol.demo.data import DEMO_CUSTOMER_PHONE
from dangol.demo.seed import demo_seed
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
    # Given the demo customer on the home page, signed out
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="로그인").first.click()

    # When they ask for a code for their number
    page.get_by_label("휴대전화 번호").fill(DEMO_CUSTOMER_PHONE)
    page.get_by_role("button", name="인증번호 받기").click()
    expect(page).to_have_url(re.compile(r".*/login/phone/verify/$"))
    expect(page.get_by_text("010-****-5678")).to_be_visible()

    # The demo shows the code on the development outbox page, as the README says.
    outbox = page.context.new_page()
    outbox.goto(live_server.url + "/dev/outbox/")
    expect(outbox.locator("main")).to_contain_text(re.compile(r"인증번호 [0-9]{6}"))
    code = re.search(r"인증번호 ([0-9]{6})", outbox.locator("main").inner_text()).group(1)
    outbox.close()

    # and sign in with it
    page.get_by_label("인증번호 6자리").fill(code)
    page.get_by_role("button", name="확인").click()

    # Then home shows the stores this customer follows (a section only a signed-in customer has)
    expect(page).to_have_url(live_server.url + "/")
    from dangol.accounts.models import User

    customer = User.objects.get(phone="+821012345678")
    followed = list(stores_followed_by(customer=customer))
    assert followed, "the demo customer follows stores"
    my_regulars = page.get_by_role("region", name="내 단골 가게")
    for store in followed:
        expect(my_regulars.get_by_role("link", name=re.compile(re.escape(store.name)))) \
            .to_be_visible()

    # When they open the market they trade in, Then its page lists its stores by category
    page.locator(f'main a[href="{demo.get_absolute_url()}"]').first.click()
    expect(page).to_have_url(re.compile(re.escape(demo.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^반송큰시장"))
    expect(page.get_by_role("region", name="단골에 등록된 가게")).to_contain_text("수산물")
    expect(page.locator("dl.facts")).to_contain_text("점포 수")

    # When they open a followed store, Then its page shows its name and first product's price
    store = followed[0]
    store_link = page.locator(f'main a[href="{store.get_absolute_url()}"]').first
    expect(store_link).to_contain_text(store.name)
    store_link.click()
    expect(page).to_have_url(re.compile(re.escape(store.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(store.name)
    product = store.products.order_by("position", "id").first()
    expect(page.locator(".prices li", has_text=product.name).first.locator(".price")).to_have_text(
        f"₩{product.price:,}"
    )
    expect(page.get_by_role("link", name=re.compile("반송큰시장")).first).to_be_visible()

    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "demo-customer-store.png"), full_page=True)
