"""Issue 5's flow in a real browser: a merchant taps 마감 세일 in the evening; a regular who
consented (with the night opt-in) sees it in the inbox at once; a regular without the night
opt-in gets the night one at 08:00; opting out from the link in the message stops the next.

The clock is frozen (the live server runs in this process). Quiet hours are 21:00–08:00 KST,
so the tap at 20:30 still reaches both regulars at once; the tap at 21:30 shows the merchant
"1명은 … 내일 08:00에 보냅니다" before sending and holds the regular without the night opt-in
until 08:00, when deliveries_release (the every-minute task) makes it visible.
"""

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dangol.core import clock
from dangol.ledger.models import Account
from dangol.ledger.selectors import ledger_verify
from dangol.ledger.services import account_get_or_create
from dangol.messaging.credit import message_credit_grant
from dangol.messaging.deliveries import deliveries_release
from dangol.messaging.models import Campaign, Delivery
from dangol.regulars.models import Consent
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

pytestmark = pytest.mark.e2e


@pytest.fixture
def fish_stall(transactional_db):
    clock.freeze(clock.kst(2026, 11, 20, 14, 0))
    market = MarketFactory(name="반송큰시장(반송2동시장)", region=SigunguFactory())
    store = StoreFactory(name="반송수산", market=market, phone="+82515441234")
    ProductFactory(store=store, name="고등어 1손", price=12000, position=0)
    owner = StaffUserFactory(email="owner@example.kr", name="김사장")
    StoreMembershipFactory(store=store, user=owner, role="owner")
    external = account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.EXTERNAL, non_negative=False,
        name="외부 입금",
    )
    message_credit_grant(store=store, amount=10_000, from_account=external,
                         idempotency_key=f"e2e-{uuid.uuid4().hex}")
    yield store
    clock.freeze(None)


def new_phone(browser):
    context = browser.new_context(viewport=PHONE, locale="ko-KR", timezone_id="Asia/Seoul",
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def become_regular(page, base, store, *, night: bool) -> None:
    page.goto(base + store.get_absolute_url())
    page.locator("main").get_by_role("link", name="단골 맺기").first.click()
    page.locator("#consent-ad").check()
    if night:
        page.locator("#consent-night").check()
    page.locator("main").get_by_role("button", name="단골 맺기").click()
    expect(page.locator("ul.messages")).to_contain_text("단골이 되었습니다.")


def tap_closing_sale(page, base, *, item: str, price: str, until: str) -> None:
    page.goto(base + "/merchant/")
    sale = page.locator("form.closing-sale").first
    sale.get_by_label("품목").fill(item)
    sale.get_by_label("세일 가격(원)").fill(price)
    sale.get_by_label("언제까지").fill(until)
    sale.get_by_role("button", name="마감 세일 보내기").click()


def expect_sent(page, *, item: str, told: str) -> None:
    """Wait for the sent campaign's page: the confirmation `told` and the text with `item`."""
    expect(page).to_have_url(re.compile(r"/merchant/stores/\d+/messages/\d+/$"))
    expect(page.locator("ul.messages")).to_contain_text(told)
    expect(page.get_by_role("region", name="보낸 내용")).to_contain_text(item)


def open_inbox(page, base):
    """Open the inbox and return its list (the page's main when it is empty)."""
    page.goto(base + "/me/inbox/")
    return page.locator("main")


def test_closing_sale_evening_night_hold_release_at_eight_and_opt_out(
    live_server, browser, fish_stall
):
    base = live_server.url
    store = fish_stall
    RESULTS.mkdir(exist_ok=True)
    merchant, night_owl, early_bird = new_phone(browser), new_phone(browser), new_phone(browser)

    # Given two regulars: one with the night opt-in, one without.
    sign_in_customer(night_owl, base, "010-5555-1111")
    become_regular(night_owl, base, store, night=True)
    sign_in_customer(early_bird, base, "010-5555-2222")
    become_regular(early_bird, base, store, night=False)
    assert Consent.objects.filter(store=store, ad_granted_at__isnull=False).count() == 2
    assert Consent.objects.filter(store=store, night_granted_at__isnull=False).count() == 1
    sign_in_staff(merchant, base, "owner@example.kr", "dangol-test-pw")

    # When at 20:30 KST the merchant taps 마감 세일 on the home screen (defaults filled in)
    clock.freeze(clock.kst(2026, 11, 20, 20, 30))
    merchant.goto(base + "/merchant/")
    sale = merchant.locator("form.closing-sale").first
    expect(sale.get_by_label("품목")).to_have_value("고등어 1손")
    expect(sale.get_by_label("세일 가격(원)")).to_have_value("8400")  # 12,000 − 30 %
    expect(sale.get_by_label("언제까지")).to_have_value("19:00")
    merchant.screenshot(path=str(RESULTS / "messaging-merchant-home-closing-sale.png"),
                        full_page=True)
    tap_closing_sale(merchant, base, item="고등어 1손", price="8400", until="21:00")

    # Then it goes to both at once
    expect_sent(merchant, item="고등어 1손", told="마감 세일을 보냈습니다. 2명에게 보냈습니다")
    first = Campaign.objects.get()
    assert first.template == Campaign.Template.CLOSING_SALE and first.held_quiet_hours == 0

    # and the consented regular sees it in the inbox at once, unread, with the badge.
    night_owl.goto(base + "/")
    expect(night_owl.locator("[data-unread]").first).to_have_text(re.compile(r"^\s*1"))
    inbox = open_inbox(night_owl, base)
    expect(inbox).to_contain_text("반송수산")
    expect(inbox).to_contain_text("고등어 1손 ₩8,400")
    expect(night_owl.locator("li.unread")).to_have_count(1)
    night_owl.screenshot(path=str(RESULTS / "messaging-inbox-unread.png"), full_page=True)
    night_owl.locator("li.unread a").first.click()
    message = night_owl.locator("[data-message]")
    expect(message).to_have_text(re.compile(r"^\s*\(광고\) 반송수산"))
    expect(message).to_contain_text("연락처: 051-544-1234")
    expect(message).to_contain_text("무료 수신거부: ")
    night_owl.screenshot(path=str(RESULTS / "messaging-message-opened.png"), full_page=True)
    assert Delivery.objects.get(campaign=first, customer__phone="+821055551111").read_at
    # 20:30 is before quiet hours: the other regular has it too
    expect(open_inbox(early_bird, base)).to_contain_text("고등어 1손")

    # When at 21:30 KST the merchant taps again, Then they are told before sending that one
    # regular waits, and nothing is sent until they confirm.
    clock.freeze(clock.kst(2026, 11, 20, 21, 30))
    tap_closing_sale(merchant, base, item="갈치 1마리", price="9000", until="22:00")
    expect(merchant.locator("[data-warning=night]")).to_contain_text(
        "1명은 야간 수신 동의가 없어 내일 08:00에 보냅니다"
    )
    assert Campaign.objects.count() == 1
    merchant.screenshot(path=str(RESULTS / "messaging-night-warning.png"), full_page=True)
    merchant.get_by_role("button", name="확인하고 보내기").click()
    expect_sent(
        merchant, item="갈치 1마리",
        told="1명에게 보냈습니다 (비용 ₩30). 1명은 야간 수신 동의가 없어 내일 08:00에 보냅니다",
    )
    second = Campaign.objects.order_by("-id").first()
    assert (second.targeted, second.held_quiet_hours) == (2, 1)
    held = Delivery.objects.get(campaign=second, customer__phone="+821055552222")
    assert held.status == Delivery.Status.HELD
    expect(open_inbox(night_owl, base)).to_contain_text("갈치 1마리")
    expect(open_inbox(early_bird, base)).not_to_contain_text("갈치 1마리")

    # When at 08:00 KST the next morning the release task runs, Then the held regular has it.
    clock.freeze(clock.kst(2026, 11, 21, 8, 0))
    result = deliveries_release(at=clock.now())
    assert result.released == 1 and result.suppressed == 0
    held.refresh_from_db()
    assert held.status == Delivery.Status.VISIBLE
    expect(open_inbox(early_bird, base)).to_contain_text("갈치 1마리")
    early_bird.screenshot(path=str(RESULTS / "messaging-released-at-eight.png"), full_page=True)

    # When the regular opts out from the link in the message, without being signed in
    early_bird.locator("li.unread a").first.click()
    opt_out_link = early_bird.locator("[data-message] a[href*='/o/']").first
    expect(opt_out_link).to_have_attribute("href", re.compile("/o/"))
    link = opt_out_link.get_attribute("href")
    stranger = new_phone(browser)  # a fresh browser: not signed in
    stranger.goto(link)
    expect(stranger.locator("main")).to_contain_text("반송수산")
    stranger.get_by_role("button", name="수신 거부").click()

    # Then the page confirms it and the consent is withdrawn at that instant
    expect(stranger.locator("[data-done]")).to_contain_text("더 이상 보내지 않습니다")
    stranger.screenshot(path=str(RESULTS / "messaging-opted-out.png"), full_page=True)
    consent = Consent.objects.get(store=store, customer__phone="+821055552222")
    assert consent.ad_withdrawn_at == clock.kst(2026, 11, 21, 8, 0)

    # and at 09:00 KST the next 마감 세일 reaches the other regular only.
    clock.freeze(clock.kst(2026, 11, 21, 9, 0))
    tap_closing_sale(merchant, base, item="오징어", price="5000", until="12:00")
    expect_sent(merchant, item="오징어", told="마감 세일을 보냈습니다. 1명에게 보냈습니다")
    expect(open_inbox(night_owl, base)).to_contain_text("오징어")
    expect(open_inbox(early_bird, base)).not_to_contain_text("오징어")
    third = Campaign.objects.order_by("-id").first()
    assert not Delivery.objects.filter(campaign=third, customer__phone="+821055552222").exists()
    merchant.goto(base + f"/merchant/stores/{store.pk}/messages/{third.pk}/")
    merchant.screenshot(path=str(RESULTS / "messaging-statistics.png"), full_page=True)

    # The composer counts the text as it is typed and previews it with the (광고) header.
    merchant.goto(base + f"/merchant/stores/{store.pk}/messages/new/")
    merchant.get_by_label("내용").fill("오늘 저녁 고등어 한 손 더!")
    expect(merchant.locator("#body-count")).to_have_text("16")  # the live counter
    merchant.get_by_role("button", name="미리 보기·비용 확인").click()
    expect(merchant.locator("[data-preview]")).to_have_text(
        re.compile(r"^\s*\(광고\) 반송수산\s+오늘 저녁 고등어 한 손 더!")
    )
    merchant.screenshot(path=str(RESULTS / "messaging-composer.png"), full_page=True)
    assert ledger_verify().ok
