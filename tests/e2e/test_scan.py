"""A voucher's QR in a real browser: staff signed out scan it, sign in, and land on the
confirm screen, and no request the browser sends carries the voucher's token (it travels in
the URL's fragment, which no server, proxy or access log sees)."""

import pytest
from playwright.sync_api import expect

from dangol.payments.providers.sandbox import CARD_APPROVE
from dangol.vouchers.services import voucher_product_create, voucher_purchase
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def scanned(transactional_db):
    market = MarketFactory(name="반송큰시장")
    store = StoreFactory(name="반송수산", market=market)
    owner = StaffUserFactory(email="fish@example.kr", name="반송수산 사장님")
    StoreMembershipFactory(store=store, user=owner, role="owner")
    product = voucher_product_create(
        name="반송큰시장 상품권 1만원", market=market, face_value=10_000, sale_price=10_000
    )
    return voucher_purchase(
        product=product, buyer=CustomerFactory(), card_number=CARD_APPROVE,
        idempotency_key="scan-e2e",
    )


def test_staff_scan_sign_in_and_confirm_without_the_token_in_any_request(
    live_server, phone, scanned
):
    sent: list[str] = []
    phone.on("request", lambda request: sent.append(request.url + " " + (request.post_data or "")))
    base = live_server.url

    # the camera opens the QR's URL while the phone is signed out
    phone.goto(f"{base}/v/#{scanned.qr_token}")
    phone.wait_for_url(lambda url: url.endswith("/accounts/login/?next=/v/"))
    sign_in_staff_from_here(phone, "fish@example.kr")

    expect(phone.locator("main")).to_contain_text("사용 처리 확인")
    expect(phone.locator("main")).to_contain_text("잔액 ₩10,000")
    posted = [line for line in sent if scanned.qr_token in line]
    # only the scanner page's own POST body holds it; no URL does
    assert posted and all(scanned.qr_token not in line.split(" ")[0] for line in sent)


def sign_in_staff_from_here(page, email: str) -> None:
    page.get_by_role("textbox", name="이메일").fill(email)
    page.get_by_label("비밀번호").fill("dangol-test-pw")
    page.get_by_role("button", name="로그인", exact=True).click()
