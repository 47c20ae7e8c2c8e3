"""Promotion-hall items bought through Toss's payment window (played by the fake Toss): the
share is reserved only when the window returns, a reload issues nothing twice, a declined
card releases the share and shows the Korean reason."""

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from dangol.core import clock
from dangol.ledger.models import Account, Transaction
from dangol.ledger.selectors import ledger_verify
from dangol.payments.fakes.toss import APPROVE, CLIENT_KEY, SECRET_KEY, FakeToss
from dangol.payments.models import Checkout
from dangol.payments.sweeper import payments_settle_pending
from dangol.programs import hall, tasks
from dangol.vouchers.models import Voucher
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    ProductFactory,
    SigunguFactory,
    StoreFactory,
)
from tests.programs.test_hall import DISCOUNT, SALE, SHARE, SHARE_BP, balance, make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def toss(settings) -> Iterator[FakeToss]:
    server = FakeToss()
    server.start()
    settings.PAYMENTS_PROVIDER = "toss"
    settings.TOSS_SECRET_KEY = SECRET_KEY
    settings.TOSS_CLIENT_KEY = CLIENT_KEY
    settings.TOSS_API_BASE = server.url
    settings.TOSS_WINDOW_URL = f"{server.url}/window"
    settings.TOSS_RETRY_DELAYS = (0.0,)
    settings.TOSS_TIMEOUT_SECONDS = 0.3
    yield server
    server.stop()


@pytest.fixture
def item(toss):
    region = SigunguFactory()
    store = StoreFactory(market=MarketFactory(region=region), region=region, name="반송수산")
    product = ProductFactory(store=store, name="고등어", unit="1손", price=12_000)
    program = make_program(region, budget=1_000_000, promotion=10_000)
    return hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )


@pytest.fixture
def buyer(client):
    user = CustomerFactory()
    client.force_login(user)
    return user


def _open(client, item) -> Checkout:
    response = client.post(reverse("programs:hall_item", args=[item.program_id, item.pk]))
    assert response.status_code == 200
    checkout = Checkout.objects.get()
    assert checkout.order_id in response.content.decode()
    return checkout


def _window(toss: FakeToss, checkout: Checkout, card: str = APPROVE) -> str:
    status, location, _page = toss.window_submit({
        "clientKey": CLIENT_KEY, "orderId": checkout.order_id, "amount": str(checkout.amount),
        "card": card, "action": "pay",
        "successUrl": "http://testserver" + reverse("programs:hall_checkout_success"),
    })
    assert status == 303
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def test_window_purchase_reserves_on_return_and_issues_once(client, toss, item, buyer):
    checkout = _open(client, item)
    assert checkout.amount == SALE
    assert not Transaction.objects.filter(kind=hall.KIND_RESERVE).exists()
    success = _window(toss, checkout)

    first = client.get(success)
    reload = client.get(success)

    voucher = Voucher.objects.get()
    assert first["Location"] == reload["Location"] == reverse("vouchers:detail", args=[voucher.pk])
    assert voucher.payment.order_id == checkout.order_id
    assert balance("program", item.program_id, Account.Kind.PROGRAM_BUDGET) == 1_000_000 - SHARE
    assert Transaction.objects.filter(kind=hall.KIND_SHARE).count() == 1
    assert ledger_verify().ok


def test_declined_card_releases_the_share_and_says_why(client, toss, item, buyer):
    checkout = _open(client, item)

    response = client.get(_window(toss, checkout, card="EXCEED_MAX_DAILY_PAYMENT_COUNT"))

    assert response.status_code == 402
    assert "하루 결제 가능 횟수를 넘었습니다" in response.content.decode()
    assert Voucher.objects.count() == 0
    assert balance("program", item.program_id, Account.Kind.PROGRAM_BUDGET) == 1_000_000
    assert ledger_verify().ok


def test_hall_purchase_settled_after_the_buyer_left_is_issued_by_the_task(
    client, toss, item, buyer
):
    checkout = _open(client, item)
    success = _window(toss, checkout)
    toss.slow_seconds = 0.9
    toss.time_out_next(2)
    assert client.get(success).status_code == 504
    with clock.travel(clock.now() + timedelta(minutes=11)):
        payments_settle_pending(older_than=timedelta(minutes=10))

    issued = tasks.hall_checkouts_finish_task.call_local()
    again = tasks.hall_checkouts_finish_task.call_local()

    assert (issued, again) == (1, 0)
    assert Voucher.objects.get().buyer == buyer
    assert Transaction.objects.filter(kind=hall.KIND_SHARE).count() == 1
    assert ledger_verify().ok
