"""Issue 3's flow in a real browser: a customer follows a store with ad consent, the
merchant sees one more regular, issues a coupon, the customer shows it at the counter,
staff redeem it, and a second redemption is refused with a clear message."""

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dangol.core import clock
from dangol.coupons.models import Coupon
from dangol.regulars.models import Consent, Follow
from tests.e2e.conftest import sign_in_customer, sign_in_staff
from tests.factories import (
    MarketFactory,
    ProductFactory,
    SigunguFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"width": 390, "height": 844}
NOW = clock.kst(2026, 11, 21, 14, 0)

pytestmark = pytest.mark.e2e


@pytest.fixture
def counter(transactional_db):
    market = MarketFactory(name="반송큰시장(반송2동시장)", region=SigunguFactory())
    store = StoreFactory(name="반송수산", market=market)
    ProductFactory(store=store, name="고등어 1손", price=12000)
    owner = StaffUserFactory(email="owner@example.kr", name="김사장")
    StoreMembershipFactory(store=store, user=owner, role="owner")
    staff = StaffUserFactory(email="staff@example.kr", name="이직원")
    StoreMembershipFactory(store=store, user=staff, role="staff")
    return store


def new_phone(browser):
    context = browser.new_context(viewport=PHONE, locale="ko-KR", timezone_id="Asia/Seoul",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def new_regulars_today(page, base_url):
    """Open the merchant home and return its "new regulars today" figure (a locator)."""
    page.goto(base_url + "/merchant/")
    return page.locator('[data-stat="new-regulars"]').first


def test_follow_with_consent_coupon_issue_show_redeem_and_refuse_second(
    live_server, browser, counter, frozen_clock
):
    # The live server runs in this process: its threads read the same frozen clock.
    frozen_clock(NOW)
    base = live_server.url
    customer = new_phone(browser)
    merchant = new_phone(browser)
    staff = new_phone(browser)

    sign_in_staff(merchant, base, "owner@example.kr", "dangol-test-pw")
    before = int(new_regulars_today(merchant, base).inner_text())

    # The customer becomes a regular from the store page, opting in to ad messages.
    sign_in_customer(customer, base, "010-2222-3333")
    customer.goto(base + counter.get_absolute_url())
    customer.locator("main").get_by_role("link", name="단골 맺기").first.click()
    customer.locator("#consent-ad").check()
    customer.locator("main").get_by_role("button", name="단골 맺기").click()
    expect(customer.locator("ul.messages")).to_contain_text("단골이 되었습니다.")
    follow = Follow.objects.get(store=counter, customer__phone="+821022223333")
    consent = Consent.objects.get(customer=follow.customer, store=counter)
    assert consent.ad_granted_at is not None and consent.ad_withdrawn_at is None

    # The merchant sees one more regular, then issues a coupon to every regular.
    expect(new_regulars_today(merchant, base)).to_have_text(str(before + 1))
    merchant.goto(base + f"/merchant/stores/{counter.pk}/coupons/")
    merchant.locator("#id_name").fill("고등어 2,000원 할인")
    merchant.locator("#id_kind").select_option(label="금액 할인")
    merchant.locator("#id_amount_off").fill("2000")
    today = clock.today_kst()
    merchant.locator("#id_start_day").fill((today - dt.timedelta(days=1)).isoformat())
    merchant.locator("#id_end_day").fill((today + dt.timedelta(days=30)).isoformat())
    merchant.get_by_role("button", name="쿠폰 만들기").click()
    expect(merchant.locator("ul.messages")).to_contain_text("쿠폰을 만들었습니다.")
    made = merchant.get_by_role("region", name="쿠폰 목록").locator("li.card")
    expect(made).to_have_count(1)
    expect(made).to_contain_text("고등어 2,000원 할인")
    expect(made).to_contain_text("발급 0장")
    merchant.get_by_role("button", name="모든 단골에게 발급").first.click()
    expect(merchant.locator("ul.messages")).to_contain_text("단골 1명에게 쿠폰을 발급했습니다.")
    expect(merchant.locator("main")).to_contain_text("발급 1장")
    coupon = Coupon.objects.get(customer=follow.customer, template__store=counter)
    assert coupon.status == Coupon.Status.ISSUED

    # The customer opens the coupon to show at the counter.
    customer.goto(base + "/me/coupons/")
    customer.get_by_role("link", name="반송수산").first.click()
    expect(customer.locator(".big-code")).to_have_text(coupon.code)
    code = customer.locator(".big-code").inner_text().strip()
    assert len(code) == 6 and code.isdigit()
    expect(customer.get_by_role("img", name="쿠폰 QR 코드").locator("svg")).to_have_count(1)
    RESULTS.mkdir(exist_ok=True)
    customer.screenshot(path=str(RESULTS / "coupon-at-the-counter.png"), full_page=True)

    # Staff type the code, see the coupon and confirm.
    sign_in_staff(staff, base, "staff@example.kr", "dangol-test-pw")
    staff.goto(base + f"/merchant/stores/{counter.pk}/redeem/")
    staff.get_by_label("쿠폰 번호 6자리").fill(code)
    staff.get_by_role("button", name="쿠폰 확인").click()
    expect(staff.locator("main")).to_contain_text("고등어 2,000원 할인")
    staff.get_by_role("button", name="사용 처리 확인").click()
    expect(staff.get_by_role("status")).to_contain_text("쿠폰을 사용 처리했습니다")
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.REDEEMED
    assert coupon.code == code

    # The same code a second time is refused, saying why, and nothing changes.
    staff.goto(base + f"/merchant/stores/{counter.pk}/redeem/")
    staff.get_by_label("쿠폰 번호 6자리").fill(code)
    staff.get_by_role("button", name="쿠폰 확인").click()
    expect(staff.locator("main")).to_contain_text("이미 사용한 쿠폰입니다")
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.REDEEMED
    staff.screenshot(path=str(RESULTS / "coupon-refused-second-time.png"), full_page=True)
