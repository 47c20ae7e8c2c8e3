"""Issue 4's flow in a real browser: a customer buys a market-wide voucher with the sandbox
card and gifts it; the recipient shows it at two stalls, which redeem part and then the rest;
the platform administrator runs the settlement after the cut-off and both stores' owners see
their statements.

The clock is frozen (the live server runs in this process), so the cut-off has passed when the
administrator runs the settlement: Monday 16 November 2026 for the sales, Thursday 19 November for
the run of the 18th's cut-off (월 10회: 3, 6, …, 18, …).
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dangol.core import clock
from dangol.ledger.selectors import ledger_verify
from dangol.settlement.models import Payout, SettlementRun
from dangol.settlement.services import settlement_policy_create, store_settlement_account_set
from dangol.vouchers.models import Redemption, Voucher
from dangol.vouchers.services import voucher_product_create
from tests.e2e.conftest import sign_in_customer, sign_in_staff
from tests.factories import (
    MarketFactory,
    SigunguFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"width": 390, "height": 844}
FEE_BP = 300  # 3% platform fee, booked at each redemption

pytestmark = pytest.mark.e2e


@pytest.fixture
def market_world(transactional_db):
    market = MarketFactory(name="반송큰시장(반송2동시장)", region=SigunguFactory())
    fish = StoreFactory(name="반송수산", market=market)
    side = StoreFactory(name="할매반찬", market=market)
    for store, email in ((fish, "fish@example.kr"), (side, "side@example.kr")):
        owner = StaffUserFactory(email=email, name=store.name + " 사장님")
        StoreMembershipFactory(store=store, user=owner, role="owner")
    # Settlement is platform-wide: the platform administrator runs it (as the demo's
    # admin@dangol.kr does); an organisation's operator may not.
    StaffUserFactory(email="admin@dangol.kr", name="관리자", is_staff=True, is_superuser=True)
    policy = settlement_policy_create(name="월 10회", cycles_per_month=10)
    for store, bank in ((fish, "부산은행"), (side, "농협은행")):
        store_settlement_account_set(
            store=store, policy=policy, bank_name=bank, account_number="101-2020-303030"
        )
    product = voucher_product_create(
        name="반송큰시장 상품권 1만원", market=market, face_value=10_000, sale_price=9_500,
        fee_bp=FEE_BP,
    )
    return {"market": market, "fish": fish, "side": side, "product": product}


@pytest.fixture
def frozen():
    clock.freeze(clock.kst(2026, 11, 16, 10, 0))
    yield
    clock.freeze(None)


def new_phone(browser):
    context = browser.new_context(viewport=PHONE, locale="ko-KR", timezone_id="Asia/Seoul",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def redeem_at(page, base, store, code: str, amount: int, *, balance_after: int) -> None:
    """Enter the voucher code on the store's counter screen, use `amount` and wait for the
    confirmation naming the amount and the balance left."""
    page.goto(base + f"/merchant/stores/{store.pk}/vouchers/redeem/")
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name="상품권 확인").click()
    page.locator("#id_amount").fill(str(amount))
    page.get_by_role("button", name="사용 처리 확인").click()
    done = page.locator("main .success")
    expect(done).to_contain_text(f"₩{amount:,} 사용 처리했습니다.")
    expect(done).to_contain_text(f"남은 잔액 ₩{balance_after:,}")


def test_buy_gift_redeem_at_two_stalls_settle_and_see_both_statements(
    live_server, browser, market_world, frozen
):
    base = live_server.url
    world = market_world
    RESULTS.mkdir(exist_ok=True)

    # A customer buys the market-wide voucher with the sandbox card that approves.
    buyer = new_phone(browser)
    sign_in_customer(buyer, base, "010-3333-4444")
    buyer.goto(base + f"/vouchers/products/{world['product'].pk}/")
    buyer.get_by_label("카드 번호").fill("4000-0000-0000-0002")
    buyer.get_by_role("button", name="₩9,500 결제하기").click()
    expect(buyer).to_have_url(re.compile(r".*/me/vouchers/\d+/$"))
    expect(buyer.locator("main .voucher-balance")).to_contain_text("잔액 ₩10,000")
    voucher = Voucher.objects.get(buyer__phone="+821033334444")
    assert (voucher.balance, voucher.status) == (10_000, Voucher.Status.ACTIVE)
    assert buyer.url.endswith(f"/me/vouchers/{voucher.pk}/")

    # …and gifts it to a friend's mobile number with a message, confirming once.
    buyer.get_by_label("받는 분 휴대전화 번호").fill("010-5555-6666")
    buyer.get_by_label("메시지 (선택)").fill("생일 축하해! 시장에서 맛있는 거 사 먹어")
    buyer.get_by_role("button", name="다음").click()
    buyer.get_by_role("button", name="선물 보내기").click()
    expect(buyer.locator("[data-gifted-to]")).to_contain_text("010-****-6666")
    buyer.screenshot(path=str(RESULTS / "voucher-gifted.png"), full_page=True)
    voucher.refresh_from_db()
    assert voucher.holder_phone == "+821055556666"

    # The friend signs in with that number and finds the voucher with its code.
    friend = new_phone(browser)
    sign_in_customer(friend, base, "010-5555-6666")
    friend.goto(base + "/me/vouchers/")
    friend.get_by_text("반송큰시장 상품권 1만원").first.click()
    expect(friend).to_have_url(re.compile(rf".*/me/vouchers/{voucher.pk}/$"))
    code = voucher.code
    expect(friend.locator(".voucher-code")).to_have_text(f"{code[:4]} {code[4:8]} {code[8:]}")
    shown = friend.locator(".voucher-code").inner_text().replace(" ", "")
    friend.screenshot(path=str(RESULTS / "voucher-received.png"), full_page=True)

    # Part at one stall, the rest at another.
    fish = new_phone(browser)
    sign_in_staff(fish, base, "fish@example.kr", "dangol-test-pw")
    redeem_at(fish, base, world["fish"], shown, 6_000, balance_after=4_000)
    side = new_phone(browser)
    sign_in_staff(side, base, "side@example.kr", "dangol-test-pw")
    redeem_at(side, base, world["side"], shown, 4_000, balance_after=0)
    side.screenshot(path=str(RESULTS / "voucher-redeemed.png"), full_page=True)
    voucher.refresh_from_db()
    assert (voucher.balance, voucher.status) == (0, Voucher.Status.USED)
    assert sorted(
        Redemption.objects.filter(voucher=voucher).values_list("store_id", "amount")
    ) == sorted([(world["fish"].pk, 6_000), (world["side"].pk, 4_000)])

    # After the cut-off of the 18th, the platform administrator runs the settlement from the
    # console.
    clock.freeze(clock.kst(2026, 11, 19, 10, 0))
    admin = new_phone(browser)
    sign_in_staff(admin, base, "admin@dangol.kr", "dangol-test-pw")
    admin.goto(base + "/console/settlement/")
    admin.get_by_role("button", name="정산 실행", exact=True).click()
    expect(admin).to_have_url(re.compile(r".*/console/settlement/runs/\d+/$"))
    admin.screenshot(path=str(RESULTS / "settlement-run.png"), full_page=True)
    run = SettlementRun.objects.get()
    assert run.cutoff == clock.kst(2026, 11, 18, 23, 59)
    payouts = {p.store_id: p.net for p in Payout.objects.filter(run=run)}
    assert payouts == {world["fish"].pk: 6_000 - 180, world["side"].pk: 4_000 - 120}

    # Each owner sees their statement and downloads its PDF.
    for page, store, net in ((fish, world["fish"], "₩5,820"), (side, world["side"], "₩3,880")):
        page.goto(base + f"/merchant/stores/{store.pk}/settlement/")
        main = page.locator("main")
        expect(main).to_contain_text(net)
        expect(main).to_contain_text("2026. 11. 19. (목) 지급")  # a business day after the cut-off
        with page.expect_download() as download:
            main.get_by_role("link", name=re.compile("PDF")).first.click()
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
    fish.screenshot(path=str(RESULTS / "settlement-statement.png"), full_page=True)
    assert ledger_verify().ok
