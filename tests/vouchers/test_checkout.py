"""Buying a voucher through Toss's payment window (played by the fake Toss's window page):
the checkout stored before the window, the success and fail callbacks."""

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from dangol.core import clock
from dangol.core.clock import kst
from dangol.payments.errors import PaymentPending
from dangol.payments.fakes.toss import APPROVE, CLIENT_KEY, SECRET_KEY, FakeToss
from dangol.payments.models import Checkout, Payment
from dangol.payments.sweeper import payments_settle_pending
from dangol.vouchers import services, tasks
from dangol.vouchers.models import Refund, Voucher
from tests.factories import CustomerFactory, StoreFactory
from tests.vouchers.conftest import assert_consistent, make_product

pytestmark = pytest.mark.django_db

NOW = kst(2026, 11, 20, 10, 0)


@pytest.fixture
def toss(settings, frozen_clock) -> Iterator[FakeToss]:
    frozen_clock(NOW)
    server = FakeToss(slow_seconds=0.9)
    server.start()
    settings.PAYMENTS_PROVIDER = "toss"
    settings.TOSS_SECRET_KEY = SECRET_KEY
    settings.TOSS_CLIENT_KEY = CLIENT_KEY
    settings.TOSS_API_BASE = server.url
    settings.TOSS_WINDOW_URL = f"{server.url}/window"
    settings.TOSS_TIMEOUT_SECONDS = 0.3
    settings.TOSS_RETRY_DELAYS = (0.0,)
    yield server
    server.stop()


@pytest.fixture
def product(toss):
    return make_product(StoreFactory(name="싱싱수산"), sale_price=9_000)


@pytest.fixture
def customer(client):
    user = CustomerFactory()
    client.force_login(user)
    return user


def _open(client, product) -> Checkout:
    page = client.post(reverse("vouchers:product", args=[product.pk]))
    assert page.status_code == 200
    checkout = Checkout.objects.get()
    text = page.content.decode()
    assert checkout.order_id in text and CLIENT_KEY in text
    return checkout


def _window(toss: FakeToss, checkout: Checkout, card: str = APPROVE) -> str:
    """Choose `card` in the fake's window page; return the local path it redirects to."""
    status, location, _page = toss.window_submit({
        "clientKey": CLIENT_KEY, "orderId": checkout.order_id, "amount": str(checkout.amount),
        "orderName": checkout.order_name, "card": card, "action": "pay",
        "successUrl": "http://testserver" + reverse("vouchers:checkout_success"),
        "failUrl": "http://testserver" + reverse("vouchers:checkout_fail"),
    })
    assert status == 303
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def test_checkout_is_stored_before_the_window_opens(client, toss, product, customer):
    checkout = _open(client, product)

    assert (checkout.amount, checkout.buyer, checkout.item_id, checkout.status) == (
        9_000, customer, product.pk, "open",
    )
    assert toss.requests == []


def test_window_success_confirms_that_order_and_issues_the_voucher_once(
    client, toss, product, customer
):
    checkout = _open(client, product)
    success = _window(toss, checkout)

    first = client.get(success)
    reload = client.get(success)

    voucher = Voucher.objects.get()
    assert first["Location"] == reload["Location"] == reverse("vouchers:detail", args=[voucher.pk])
    assert voucher.payment.order_id == checkout.order_id
    assert (voucher.buyer, voucher.face_value) == (customer, 10_000)
    assert [r.body["orderId"] for r in toss.requests if r.path == "/v1/payments/confirm"] == [
        checkout.order_id,
    ]
    checkout.refresh_from_db()
    assert checkout.status == "paid"
    assert_consistent(voucher)


def test_success_callback_with_another_amount_charges_nothing(client, toss, product, customer):
    checkout = _open(client, product)
    success = _window(toss, checkout).replace("amount=9000", "amount=100")

    response = client.get(success)

    assert response.status_code == 400
    assert "결제 금액이 주문 금액과 다릅니다" in response.content.decode()
    assert Payment.objects.count() == 0 and Voucher.objects.count() == 0
    assert toss.requests == []


def test_declined_card_shows_the_korean_reason_and_issues_nothing(
    client, toss, product, customer
):
    checkout = _open(client, product)

    response = client.get(_window(toss, checkout, card="REJECT_CARD_COMPANY"))

    assert response.status_code == 402
    assert "카드사에서 결제를 거절했습니다" in response.content.decode()
    assert Voucher.objects.count() == 0
    checkout.refresh_from_db()
    assert (checkout.status, checkout.error_code) == ("failed", "REJECT_CARD_COMPANY")


def test_cancelled_window_shows_the_korean_reason(client, toss, product, customer):
    checkout = _open(client, product)
    status, location, _page = toss.window_submit({
        "clientKey": CLIENT_KEY, "orderId": checkout.order_id, "action": "cancel",
        "failUrl": "http://testserver" + reverse("vouchers:checkout_fail"),
    })
    parts = urlsplit(location)

    response = client.get(f"{parts.path}?{parts.query}")

    assert response.status_code == 400
    assert "결제를 취소했습니다" in response.content.decode()
    assert Payment.objects.count() == 0


def test_another_buyers_order_is_not_found(client, toss, product, customer):
    checkout = _open(client, product)
    success = _window(toss, checkout)
    client.force_login(CustomerFactory())

    response = client.get(success)

    assert response.status_code == 400
    assert Payment.objects.count() == 0


def test_confirm_that_timed_out_is_finished_by_the_reload(client, toss, product, customer):
    checkout = _open(client, product)
    success = _window(toss, checkout)
    toss.time_out_next(2)  # the confirm's reply and the GET after it are lost

    pending = client.get(success)
    finished = client.get(success)

    assert pending.status_code == 504
    assert "두 번 결제되지 않습니다" in pending.content.decode()
    assert finished.status_code == 302 and Voucher.objects.count() == 1
    assert toss.confirmed(Payment.objects.get().provider_key)["status"] == "DONE"


def test_voucher_of_a_confirm_settled_after_the_buyer_left_is_issued_by_the_task(
    client, toss, product, customer
):
    checkout = _open(client, product)
    toss.time_out_next(2)
    assert client.get(_window(toss, checkout)).status_code == 504
    with clock.travel(clock.now() + timedelta(minutes=11)):
        payments_settle_pending(older_than=timedelta(minutes=10))

    issued = tasks.voucher_checkouts_finish.call_local()
    again = tasks.voucher_checkouts_finish.call_local()

    voucher = Voucher.objects.get()
    assert (issued, again) == (1, 0)
    assert (voucher.buyer, voucher.payment.order_id) == (customer, checkout.order_id)
    checkout.refresh_from_db()
    assert checkout.status == "paid"
    assert_consistent(voucher)


def test_refund_settled_by_the_sweeper_is_paid_in_the_ledger_by_the_task(
    client, toss, product, customer
):
    checkout = _open(client, product)
    client.get(_window(toss, checkout))
    voucher = Voucher.objects.get()
    toss.time_out_next(2)  # the cancel's reply and the GET after it are lost
    with pytest.raises(PaymentPending):
        services.voucher_refund(voucher=voucher, idempotency_key="refund-1")
    with clock.travel(clock.now() + timedelta(minutes=11)):
        payments_settle_pending(older_than=timedelta(minutes=10))

    finished = tasks.voucher_refunds_finish.call_local()
    again = tasks.voucher_refunds_finish.call_local()

    assert (finished, again) == (1, 0)
    payment = Payment.objects.get()
    assert payment.status == "refunded"
    assert toss.confirmed(payment.provider_key)["status"] == "CANCELED"
    assert Refund.objects.get().paid_at is not None
    assert_consistent(voucher)
