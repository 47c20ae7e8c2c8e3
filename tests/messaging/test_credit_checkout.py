"""Message credit top-ups through Toss's payment window (played by the fake Toss): the
checkout stored first, the success callback adding the credit once, a decline's Korean
reason, and another sender's order refused."""

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from dangol.core import clock
from dangol.ledger.selectors import ledger_verify
from dangol.messaging import tasks
from dangol.messaging.credit import message_credit_account
from dangol.payments.fakes.toss import APPROVE, CLIENT_KEY, SECRET_KEY, FakeToss
from dangol.payments.models import Checkout, Payment
from dangol.payments.sweeper import payments_settle_pending
from tests.factories import StoreFactory, StoreMembershipFactory

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
def owner(client, store):
    user = StoreMembershipFactory(store=store).user
    client.force_login(user)
    return user


def _open(client, store) -> Checkout:
    url = reverse("messaging:store_credit", args=[store.pk])
    page = client.get(url)
    assert "카드 번호" not in page.content.decode()
    key = page.context["form"]["idempotency_key"].value()
    response = client.post(url, {"amount": "30000", "idempotency_key": key})
    assert response.status_code == 200
    checkout = Checkout.objects.get()
    assert checkout.order_id in response.content.decode()
    return checkout


def _window(toss: FakeToss, store, checkout: Checkout, card: str = APPROVE) -> str:
    status, location, _page = toss.window_submit({
        "clientKey": CLIENT_KEY, "orderId": checkout.order_id, "amount": str(checkout.amount),
        "card": card, "action": "pay",
        "successUrl": "http://testserver"
        + reverse("messaging:store_credit_success", args=[store.pk]),
    })
    assert status == 303
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def test_top_up_through_the_window_adds_the_credit_once(client, toss, store, owner):
    checkout = _open(client, store)
    assert (checkout.amount, checkout.buyer, checkout.item_id) == (30_000, owner, store.pk)
    success = _window(toss, store, checkout)

    first = client.get(success)
    reload = client.get(success)

    assert first.status_code == reload.status_code == 302
    assert message_credit_account(store=store).balance == 30_000
    assert Payment.objects.get().order_id == checkout.order_id
    assert ledger_verify().ok


def test_declined_top_up_shows_the_korean_reason_and_adds_nothing(client, toss, store, owner):
    checkout = _open(client, store)

    response = client.get(_window(toss, store, checkout, card="INVALID_STOPPED_CARD"))

    assert response.status_code == 402
    assert "정지된 카드입니다" in response.content.decode()
    assert message_credit_account(store=store).balance == 0


def test_another_stores_order_is_refused(client, toss, store, owner):
    checkout = _open(client, store)
    other = StoreFactory(market=store.market)
    StoreMembershipFactory(store=other, user=owner)
    success = _window(toss, store, checkout).replace(
        f"/stores/{store.pk}/", f"/stores/{other.pk}/"
    )

    response = client.get(success)

    assert response.status_code == 400
    assert Payment.objects.count() == 0
    assert message_credit_account(store=other).balance == 0


def test_top_up_settled_after_the_buyer_left_is_added_by_the_task(client, toss, store, owner):
    checkout = _open(client, store)
    success = _window(toss, store, checkout)
    toss.slow_seconds = 0.9
    toss.time_out_next(2)
    assert client.get(success).status_code == 504
    with clock.travel(clock.now() + timedelta(minutes=11)):
        payments_settle_pending(older_than=timedelta(minutes=10))

    added = tasks.message_credit_checkouts_finish.call_local()
    again = tasks.message_credit_checkouts_finish.call_local()

    assert (added, again) == (1, 0)
    assert message_credit_account(store=store).balance == 30_000
    assert ledger_verify().ok
