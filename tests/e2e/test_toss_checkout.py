"""Issue 13's checkout in a real browser, against the fake Toss (its window page and API on
a local port): a customer buys a market voucher through the payment window; a declined card
shows the Korean reason; a confirm whose answer was lost is settled by the sweeper with the
payment's real status.

The clock is frozen (the live server runs in this process); the fake Toss follows it."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dangol.core import clock
from dangol.ledger.selectors import ledger_verify
from dangol.payments.fakes.toss import CLIENT_KEY, SECRET_KEY, FakeToss
from dangol.payments.models import Checkout, Payment, PaymentOperation
from dangol.payments.sweeper import payments_settle_pending
from dangol.vouchers.models import Voucher
from dangol.vouchers.services import voucher_product_create
from tests.e2e.conftest import sign_in_customer
from tests.factories import MarketFactory, SigunguFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def toss(settings):
    clock.freeze(clock.kst(2026, 11, 16, 10, 0))
    server = FakeToss(slow_seconds=1.5)
    server.start()
    settings.PAYMENTS_PROVIDER = "toss"
    settings.TOSS_SECRET_KEY = SECRET_KEY
    settings.TOSS_CLIENT_KEY = CLIENT_KEY
    settings.TOSS_API_BASE = server.url
    settings.TOSS_WINDOW_URL = f"{server.url}/window"
    settings.TOSS_TIMEOUT_SECONDS = 0.5
    settings.TOSS_RETRY_DELAYS = (0.0,)
    yield server
    server.stop()
    clock.freeze(None)


@pytest.fixture
def product(transactional_db, toss):
    market = MarketFactory(name="반송큰시장(반송2동시장)", region=SigunguFactory())
    return voucher_product_create(
        name="반송큰시장 상품권 1만원", market=market, face_value=10_000, sale_price=9_500,
        fee_bp=300,
    )


def _to_window(page, base: str, product) -> None:
    """Sign in, ask to buy `product` and open the (fake) payment window."""
    sign_in_customer(page, base, "010-3333-4444")
    page.goto(base + f"/vouchers/products/{product.pk}/")
    page.get_by_role("button", name="₩9,500 결제하기").click()
    page.get_by_role("button", name="결제창 열기").click()
    expect(page.get_by_role("heading", name="토스페이먼츠 결제창 (테스트)")).to_be_visible()


def test_customer_buys_a_market_voucher_through_the_payment_window(
    live_server, phone, product, toss
):
    _to_window(phone, live_server.url, product)

    phone.get_by_role("button", name="결제하기").click()

    expect(phone).to_have_url(re.compile(r".*/me/vouchers/\d+/$"))
    expect(phone.locator("main .voucher-balance")).to_contain_text("잔액 ₩10,000")
    voucher = Voucher.objects.get(buyer__phone="+821033334444")
    checkout = Checkout.objects.get()
    assert voucher.payment.order_id == checkout.order_id
    assert (voucher.payment.status, checkout.status) == ("captured", "paid")
    assert toss.confirmed(voucher.payment.provider_key)["status"] == "DONE"
    assert ledger_verify().ok


def test_declined_card_shows_the_korean_reason(live_server, phone, product, toss):
    _to_window(phone, live_server.url, product)

    phone.get_by_label("거절되는 카드 (REJECT_CARD_COMPANY)").check()
    phone.get_by_role("button", name="결제하기").click()

    expect(phone.get_by_role("alert")).to_contain_text(
        "카드사에서 결제를 거절했습니다. 카드사에 문의해 주세요."
    )
    assert Voucher.objects.count() == 0
    assert Payment.objects.get().error_code == "REJECT_CARD_COMPANY"


def test_confirm_that_timed_out_is_settled_by_the_sweeper(live_server, phone, product, toss):
    _to_window(phone, live_server.url, product)
    toss.time_out_next(2)  # the confirm's reply and the GET after it are lost

    phone.get_by_role("button", name="결제하기").click()

    expect(phone.get_by_role("alert")).to_contain_text("두 번 결제되지 않습니다")
    assert PaymentOperation.objects.get().status == "pending"
    with clock.travel(clock.now() + timedelta(minutes=11)):
        assert payments_settle_pending(older_than=timedelta(minutes=10)) == 1
    payment = Payment.objects.get()
    assert payment.status == "captured"
    assert toss.confirmed(payment.provider_key)["status"] == "DONE"

    phone.reload()

    expect(phone).to_have_url(re.compile(r".*/me/vouchers/\d+/$"))
    assert Voucher.objects.get().payment == payment
    assert ledger_verify().ok
