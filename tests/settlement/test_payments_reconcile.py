"""The payment reconciliation report agrees with `ledger verify` after a run of purchases,
declines, timeouts and refunds through the fake Toss, and shows the difference while a
settled payment is not booked yet."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from dangol.core import clock
from dangol.ledger.selectors import ledger_verify
from dangol.payments.errors import PaymentPending
from dangol.payments.fakes.toss import APPROVE, CLIENT_KEY, SECRET_KEY, FakeToss
from dangol.payments.sweeper import payments_settle_pending
from dangol.settlement.payments_reconcile import payments_reconcile
from dangol.vouchers import services
from dangol.vouchers.checkout import (
    voucher_checkout_complete,
    voucher_checkout_open,
    voucher_checkouts_finish,
)
from dangol.vouchers.errors import PurchaseFailed
from dangol.vouchers.models import Voucher
from tests.factories import CustomerFactory, StoreFactory
from tests.vouchers.conftest import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def toss(settings) -> Iterator[FakeToss]:
    server = FakeToss(slow_seconds=0.9)
    server.start()
    settings.PAYMENTS_PROVIDER = "toss"
    settings.TOSS_SECRET_KEY = SECRET_KEY
    settings.TOSS_CLIENT_KEY = CLIENT_KEY
    settings.TOSS_API_BASE = server.url
    settings.TOSS_TIMEOUT_SECONDS = 0.3
    settings.TOSS_RETRY_DELAYS = (0.0,)
    yield server
    server.stop()


def _buy(toss: FakeToss, product, buyer, card: str = APPROVE) -> Voucher:
    checkout = voucher_checkout_open(product=product, buyer=buyer)
    payment_key = toss.window(checkout.order_id, checkout.amount, card=card)
    return voucher_checkout_complete(
        buyer=buyer, order_id=checkout.order_id, payment_key=payment_key,
        amount=checkout.amount,
    )


def _sweep() -> None:
    with clock.travel(clock.now() + timedelta(minutes=11)):
        payments_settle_pending(older_than=timedelta(minutes=10))


def test_report_and_ledger_agree_after_declines_timeouts_and_refunds(toss):
    product = make_product(StoreFactory(), sale_price=9_000)
    buyer = CustomerFactory()
    kept = _buy(toss, product, buyer)
    with pytest.raises(PurchaseFailed):
        _buy(toss, product, buyer, card="REJECT_CARD_COMPANY")
    toss.time_out_next(2)
    with pytest.raises(PaymentPending):
        _buy(toss, product, buyer)
    assert payments_reconcile().pending_operations == 1

    _sweep()
    unbooked = payments_reconcile()
    voucher_checkouts_finish()
    refunded = Voucher.objects.exclude(pk=kept.pk).get()
    toss.time_out_next(2)
    with pytest.raises(PaymentPending):
        services.voucher_refund(voucher=refunded, idempotency_key="refund-1")
    _sweep()
    services.voucher_refunds_finish()

    assert (unbooked.ok, unbooked.difference) == (False, 9_000)
    report = payments_reconcile()
    assert (report.provider_net, report.ledger_net) == (9_000, 9_000)
    assert report.ok and ledger_verify().ok
    call_command("payments", "reconcile")


def test_command_fails_while_a_payment_awaits_the_provider(toss):
    product = make_product(StoreFactory(), sale_price=9_000)
    toss.time_out_next(2)
    with pytest.raises(PaymentPending):
        _buy(toss, product, CustomerFactory())

    with pytest.raises(CommandError):
        call_command("payments", "reconcile")
