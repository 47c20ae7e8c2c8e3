"""Issue 5's flow in a real browser: a merchant taps 마감 세일 in the evening; a regular who
consented (with the night opt-in) sees it in the inbox at once; a regular without the night
opt-in gets the night one at 08:00; opting out from the link in the message stops the next.

The clock is frozen (the live server runs in this process). Quiet hours are 21:00–08:00 KST,
so the tap at 20:30 still reaches both regulars at once; the tap at 21:30 shows the merchant
"1명은 … 내일 08:00에 보냅니다" before sending and holds the regular without the night opt-in
until 08:00, when deliveries_release (the every-minute task) makes it visible.
"""

import uuid
from pathlib import Path

import pytest

from dangol.core import clock
from dangol.ledger.models import Account
from dangol.ledger.selectors import ledger_verify
from dangol.ledger.services import account_get_or_create
from dangol.messaging.models import Campaign, Delivery
from dangol.messaging.services import deliveries_release, message_credit_grant
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
    page.wait_for_load_state()


def tap_closing_sale(page, base, *, item: str, price: str, until: str) -> None:
    page.goto(base + "/merchant/")
    sale = page.locator("form.closing-sale").first
    sale.get_by_label("품목").fill(item)
    sale.get_by_label("세일 가격(원)").fill(price)
    sale.get_by_label("언제까지").fill(until)
    sale.get_by_role("button", name="마감 세일 보내기").click()
    page.wait_for_load_state()


def inbox_text(page, base) -> str:
    page.goto(base + "/me/inbox/")
    return page.locator("main").inner_text()


def test_closing_sale_evening_night_hold_release_at_eight_and_opt_out(
    live_server, browser, fish_stall
):
    base = live_server.url
    store = fish_stall
    RESULTS.mkdir(exist_ok=True)
    merchant, night_owl, early_bird = new_phone(browser), new_phone(browser), new_phone(browser)

    # Two regulars: one with the night opt-in, one without.
    sign_in_customer(night_owl, base, "010-5555-1111")
    become_regular(night_owl, base, store, night=True)
    sign_in_customer(early_bird, base, "010-5555-2222")
    become_regular(early_bird, base, store, night=False)
    assert Consent.objects.filter(store=store, night_granted_at__isnull=False).count() == 1
    sign_in_staff(merchant, base, "owner@example.kr", "dangol-test-pw")

    # 20:30 KST: the merchant taps 마감 세일 on the home screen (defaults filled in).
    clock.freeze(clock.kst(2026, 11, 20, 20, 30))
    merchant.goto(base + "/merchant/")
    sale = merchant.locator("form.closing-sale").first
    assert sale.get_by_label("품목").input_value() == "고등어 1손"
    assert sale.get_by_label("세일 가격(원)").input_value() == "8400"  # 12,000 − 30 %
    assert sale.get_by_label("언제까지").input_value() == "19:00"
    merchant.screenshot(path=str(RESULTS / "messaging-merchant-home-closing-sale.png"),
                        full_page=True)
    tap_closing_sale(merchant, base, item="고등어 1손", price="8400", until="21:00")
    text = merchant.locator("main").inner_text()
    assert "마감 세일을 보냈습니다" in text and "2명에게 보냈습니다" in text
    first = Campaign.objects.get()
    assert first.template == Campaign.Template.CLOSING_SALE and first.held_quiet_hours == 0

    # The consented regular sees it in the inbox at once, unread, with the badge.
    night_owl.goto(base + "/")
    assert night_owl.locator("[data-unread]").first.inner_text().startswith("1")
    text = inbox_text(night_owl, base)
    assert "반송수산" in text and "고등어 1손 ₩8,400" in text
    assert night_owl.locator("li.unread").count() == 1
    night_owl.screenshot(path=str(RESULTS / "messaging-inbox-unread.png"), full_page=True)
    night_owl.locator("li.unread a").first.click()
    message = night_owl.locator("[data-message]").inner_text()
    assert message.startswith("(광고) 반송수산")
    assert "연락처: 051-544-1234" in message and "무료 수신거부: " in message
    night_owl.screenshot(path=str(RESULTS / "messaging-message-opened.png"), full_page=True)
    assert Delivery.objects.get(campaign=first, customer__phone="+821055551111").read_at
    assert "고등어 1손" in inbox_text(early_bird, base)  # 20:30 is before quiet hours

    # 21:30 KST: another tap; the merchant is told before sending that one regular waits.
    clock.freeze(clock.kst(2026, 11, 20, 21, 30))
    tap_closing_sale(merchant, base, item="갈치 1마리", price="9000", until="22:00")
    warning = merchant.locator("[data-warning=night]").inner_text()
    assert "1명은 야간 수신 동의가 없어 내일 08:00에 보냅니다" in warning
    assert Campaign.objects.count() == 1  # nothing sent before the merchant confirms
    merchant.screenshot(path=str(RESULTS / "messaging-night-warning.png"), full_page=True)
    merchant.get_by_role("button", name="확인하고 보내기").click()
    merchant.wait_for_load_state()
    sent = merchant.locator("main").inner_text()
    assert "1명에게 보냈습니다" in sent
    assert "1명은 야간 수신 동의가 없어 내일 08:00에 보냅니다" in sent
    assert "갈치 1마리" in inbox_text(night_owl, base)
    assert "갈치 1마리" not in inbox_text(early_bird, base)

    # 08:00 KST the next morning: the release task runs; the held regular now has it.
    clock.freeze(clock.kst(2026, 11, 21, 8, 0))
    result = deliveries_release(at=clock.now())
    assert result.released == 1 and result.suppressed == 0
    text = inbox_text(early_bird, base)
    assert "갈치 1마리" in text
    early_bird.screenshot(path=str(RESULTS / "messaging-released-at-eight.png"), full_page=True)

    # The regular opts out from the link in the message, without being signed in.
    early_bird.locator("li.unread a").first.click()
    link = early_bird.locator("[data-message] a[href*='/o/']").first.get_attribute("href")
    assert link and "/o/" in link
    stranger = new_phone(browser)  # a fresh browser: not signed in
    stranger.goto(link)
    assert "반송수산" in stranger.locator("main").inner_text()
    stranger.get_by_role("button", name="수신 거부").click()
    stranger.wait_for_load_state()
    assert "더 이상 보내지 않습니다" in stranger.locator("main").inner_text()
    stranger.screenshot(path=str(RESULTS / "messaging-opted-out.png"), full_page=True)
    consent = Consent.objects.get(store=store, customer__phone="+821055552222")
    assert consent.ad_withdrawn_at == clock.kst(2026, 11, 21, 8, 0)

    # 09:00 KST: the next 마감 세일 reaches the other regular only.
    clock.freeze(clock.kst(2026, 11, 21, 9, 0))
    tap_closing_sale(merchant, base, item="오징어", price="5000", until="12:00")
    assert "1명에게 보냈습니다" in merchant.locator("main").inner_text()
    assert "오징어" in inbox_text(night_owl, base)
    assert "오징어" not in inbox_text(early_bird, base)
    third = Campaign.objects.order_by("-id").first()
    assert not Delivery.objects.filter(campaign=third, customer__phone="+821055552222").exists()
    merchant.goto(base + f"/merchant/stores/{store.pk}/messages/{third.pk}/")
    merchant.screenshot(path=str(RESULTS / "messaging-statistics.png"), full_page=True)
    merchant.goto(base + f"/merchant/stores/{store.pk}/messages/new/")
    merchant.get_by_label("내용").fill("오늘 저녁 고등어 한 손 더!")
    assert merchant.locator("#body-count").inner_text() == "16"  # the live counter
    merchant.get_by_role("button", name="미리 보기·비용 확인").click()
    assert "(광고) 반송수산\n오늘 저녁 고등어 한 손 더!" in merchant.locator(
        "[data-preview]").inner_text()
    merchant.screenshot(path=str(RESULTS / "messaging-composer.png"), full_page=True)
    assert ledger_verify().ok
