"""Issue 6's flow in a real browser: an operator creates a program for 해운대구; a merchant
applies from the merchant home and gets ₩300,000 of message credit; the program's committed
amount rises by ₩300,000; the merchant sends a 마감 세일; the credit goes down and the
program's spent amount goes up by the campaign's cost; the pledge "merchants granted message
credit" moves from 0 to 1.

The clock is frozen at 14:00 KST (the live server runs in this process), outside quiet hours.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dangol.core import clock
from dangol.ledger.selectors import ledger_verify
from dangol.messaging.models import Campaign
from dangol.messaging.selectors import message_credit_balance
from dangol.programs import selectors
from dangol.programs.models import Application, Grant, Program
from dangol.programs.pledges import pledge_create
from dangol.regulars.services import follow_join
from tests.e2e.conftest import sign_in_staff
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    ProductFactory,
    SigunguFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.e2e


@pytest.fixture
def haeundae_world(transactional_db):
    clock.freeze(clock.kst(2026, 11, 20, 14, 0))
    region = SigunguFactory()
    market = MarketFactory(name="반송큰시장(반송2동시장)", region=region)
    store = StoreFactory(name="반송수산", market=market, region=region, phone="+82515441234")
    ProductFactory(store=store, name="고등어 1손", price=12000, position=0)
    owner = StaffUserFactory(email="owner@example.kr", name="김사장")
    StoreMembershipFactory(store=store, user=owner, role="owner")
    for n in range(2):  # two regulars who consented to ads: the campaign costs 2 × ₩15
        follow_join(customer=CustomerFactory(phone=f"+8210555500{n:02d}"), store=store, ad=True)
    city = OrganisationFactory(name="해운대구청", kind="city")
    operator = StaffUserFactory(email="operator@haeundae.go.kr", name="해운대 운영자")
    OrganisationMembershipFactory(organisation=city, user=operator, role="operator")
    pledge = pledge_create(organisation=city, text="메시지 충전금 지원 가게 100곳",
                           metric="merchants_credited", target=100,
                           deadline=dt.date(2026, 12, 31))
    yield {"store": store, "region": region, "pledge": pledge}
    clock.freeze(None)


def new_page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="ko-KR", timezone_id="Asia/Seoul",
                                  is_mobile=viewport is PHONE, has_touch=viewport is PHONE,
                                  device_scale_factor=2 if viewport is PHONE else 1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def figure(page, name: str):
    return page.locator(f'main [data-figure="{name}"]').first


def expect_figures(page, **won: str) -> None:
    for name, text in won.items():
        expect(figure(page, name)).to_have_text(text)


def expect_pledge_value(page, base, pledge, value: str) -> None:
    page.goto(base + "/console/programs/pledges/")
    expect(page.locator(f'tr[data-pledge="{pledge.pk}"] [data-pledge-value]')).to_have_text(value)


def test_operator_program_merchant_applies_sends_and_figures_move(
    live_server, browser, haeundae_world
):
    base = live_server.url
    store, region, pledge = (haeundae_world[k] for k in ("store", "region", "pledge"))
    RESULTS.mkdir(exist_ok=True)
    operator, merchant = new_page(browser, DESKTOP), new_page(browser, PHONE)
    sign_in_staff(operator, base, "operator@haeundae.go.kr", "dangol-test-pw")
    sign_in_staff(merchant, base, "owner@example.kr", "dangol-test-pw")
    expect_pledge_value(operator, base, pledge, "0")

    # When the operator creates a program for 해운대구 from the console
    operator.goto(base + "/console/")
    operator.locator("main").get_by_role("link", name="상생 사업", exact=True).click()
    operator.get_by_role("link", name="사업 만들기").click()
    operator.get_by_label("사업 이름").fill("2026 해운대구 전통시장 상생 지원")
    operator.get_by_label("시작일").fill("2026-11-20")
    operator.get_by_label("종료일").fill("2026-12-31")
    operator.get_by_label("대상 시군구").select_option(region.code)
    operator.get_by_label("예산(원)").fill("30000000")
    expect(operator.get_by_label("가게당 메시지 충전금(원, 0이면 없음)")).to_have_value("300000")
    expect(operator.get_by_label("월 정산 횟수 상향 (0이면 없음)")).to_have_value("10")
    # The default market channel credit stays: the market receives it when its enrolment
    # becomes active, so the merchant's application below commits only its own ₩300,000.
    expect(operator.get_by_label("시장 채널 충전금(원, 0이면 없음)")).to_have_value("3000000")
    expect(operator.get_by_label("빠른정산 수수료 면제")).to_be_checked()
    operator.screenshot(path=str(RESULTS / "programs-console-new.png"), full_page=True)
    operator.locator("main").get_by_role("button", name="사업 만들기").click()

    # Then its page opens, open and with its whole budget left
    expect(operator).to_have_url(re.compile(r"/console/programs/\d+/$"))
    expect(operator.get_by_role("heading", level=1)).to_have_text(
        "2026 해운대구 전통시장 상생 지원"
    )
    program = Program.objects.get()
    assert program.status == Program.Status.OPEN
    assert operator.url.endswith(f"/console/programs/{program.pk}/")
    detail_url = operator.url
    expect_figures(operator, budget="₩30,000,000", committed="₩0", spent="₩0")

    # When the merchant applies in three taps from the merchant home
    merchant.goto(base + "/merchant/")
    merchant.screenshot(path=str(RESULTS / "programs-merchant-home-card.png"), full_page=True)
    merchant.locator(f'[data-program-offer="{program.pk}"]').click()  # tap 1
    merchant.get_by_label("작년 연 매출(원)").fill("250000000")
    merchant.get_by_label("연 매출이 10억 원 이하임을 확인합니다.").check()  # tap 2
    merchant.screenshot(path=str(RESULTS / "programs-apply.png"), full_page=True)
    merchant.get_by_role("button", name="신청하기").click()  # tap 3

    # Then the application is approved with ₩300,000 of message credit
    approved = merchant.locator('[data-application-status="approved"]')
    expect(approved).to_contain_text("승인되었습니다.")
    expect(approved).to_contain_text("메시지 충전금 ₩300,000")
    merchant.screenshot(path=str(RESULTS / "programs-apply-approved.png"), full_page=True)
    assert Application.objects.get().status == Application.Status.APPROVED
    assert message_credit_balance(store=store) == 300_000

    # and the program's committed amount rose by ₩300,000; nothing spent yet.
    operator.goto(detail_url)
    expect_figures(operator, committed="₩300,000", spent="₩0", remaining="₩29,700,000")
    assert Grant.objects.count() == 3
    expect(operator.locator("[data-grant]")).to_have_count(3)

    # When the merchant taps 마감 세일, Then the two consenting regulars get it
    merchant.goto(base + "/merchant/")
    sale = merchant.locator("form.closing-sale").first
    sale.get_by_label("언제까지").fill("19:00")
    sale.get_by_role("button", name="마감 세일 보내기").click()
    expect(merchant).to_have_url(re.compile(r"/merchant/stores/\d+/messages/\d+/$"))
    expect(merchant.locator("ul.messages")).to_contain_text("2명에게 보냈습니다")
    campaign = Campaign.objects.get()
    cost = 300_000 - message_credit_balance(store=store)
    assert cost == campaign.cost == 30 and campaign.targeted == 2

    # and the credit went down and the program's spent amount went up by the campaign's cost.
    operator.goto(detail_url)
    expect_figures(operator, spent="₩30", committed="₩300,000")
    operator.screenshot(path=str(RESULTS / "programs-console-detail.png"), full_page=True)
    operator.goto(base + "/console/programs/")
    row = operator.locator(f'tr[data-program="{program.pk}"]')
    expect(row.locator('[data-figure="spent"]')).to_have_text("₩30")
    expect(row.locator('[data-figure="committed"]')).to_have_text("₩300,000")
    operator.screenshot(path=str(RESULTS / "programs-console-list.png"), full_page=True)
    figures = selectors.program_figures(program=program)
    assert (figures.committed, figures.spent, figures.remaining) == (300_000, 30, 29_700_000)

    # and the pledge "merchants granted message credit" moved.
    expect_pledge_value(operator, base, pledge, "1")
    operator.screenshot(path=str(RESULTS / "programs-pledges.png"), full_page=True)
    assert ledger_verify().ok
