"""Payment services through Toss: each outcome recorded exactly as Toss defines it, and the
sweeper that settles unanswered operations by asking Toss (dangol.payments.fakes.toss)."""

from datetime import timedelta

import pytest

from dangol.core import clock
from dangol.payments import tasks
from dangol.payments.errors import PaymentDeclined, PaymentPending
from dangol.payments.fakes.toss import APPROVE, FakeToss
from dangol.payments.models import Payment, PaymentOperation
from dangol.payments.providers.sandbox import CARD_TIMEOUT
from dangol.payments.services import (
    payment_authorize,
    payment_capture,
    payment_charge,
    payment_refund,
)
from dangol.payments.sweeper import payments_settle_pending

pytestmark = pytest.mark.django_db


def _authorized(server: FakeToss, card: str = APPROVE, amount: int = 10_000) -> Payment:
    order_id = f"order-{len(server.payments) + 1:04d}"
    payment_key = server.window(order_id, amount, card=card)
    return payment_authorize(
        amount=amount, source=payment_key, idempotency_key=f"pay-{payment_key}",
        order_id=order_id,
    )


def test_card_company_decline_fails_the_payment_with_its_code_and_korean_reason(
    use_toss: FakeToss,
) -> None:
    payment = payment_capture(
        payment=_authorized(use_toss, card="REJECT_CARD_COMPANY"), idempotency_key="cap-1"
    )

    assert (payment.status, payment.error_code) == ("failed", "REJECT_CARD_COMPANY")
    assert payment.error_message == "카드사에서 결제를 거절했습니다. 카드사에 문의해 주세요."
    assert PaymentOperation.objects.get().status == PaymentOperation.Status.FAILED


def test_charge_with_a_declined_card_raises_declined_and_leaves_nothing_pending(
    use_toss: FakeToss,
) -> None:
    order_id = "order-charge"
    payment_key = use_toss.window(order_id, 5_000, card="FDS_ERROR")

    with pytest.raises(PaymentDeclined) as raised:
        payment_charge(
            amount=5_000, source=payment_key, idempotency_key="k1", order_id=order_id
        )

    assert raised.value.payment.error_code == "FDS_ERROR"
    assert not PaymentOperation.objects.filter(status="pending").exists()


def test_charge_confirms_with_the_windows_order_id(use_toss: FakeToss) -> None:
    payment_key = use_toss.window("order-window-1", 5_000)

    payment = payment_charge(
        amount=5_000, source=payment_key, idempotency_key="k1", order_id="order-window-1"
    )

    assert (payment.status, payment.order_id) == ("captured", "order-window-1")
    assert use_toss.requests[0].body["orderId"] == "order-window-1"


def test_capture_whose_reply_is_lost_is_fetched_and_recorded_captured(
    use_toss: FakeToss,
) -> None:
    payment = _authorized(use_toss)
    use_toss.time_out_next()

    payment = payment_capture(payment=payment, idempotency_key="cap-1")

    assert payment.status == Payment.Status.CAPTURED
    assert PaymentOperation.objects.get().status == PaymentOperation.Status.SUCCEEDED
    assert use_toss.requests[-1].method == "GET"


def test_waiting_for_deposit_is_not_captured(use_toss: FakeToss) -> None:
    payment = _authorized(use_toss)
    use_toss.respond_next(
        200,
        {"paymentKey": payment.provider_key, "orderId": payment.order_id,
         "status": "WAITING_FOR_DEPOSIT", "totalAmount": 10_000, "balanceAmount": 10_000},
    )

    with pytest.raises(PaymentPending):
        payment_capture(payment=payment, idempotency_key="cap-1")

    assert Payment.objects.get().status == Payment.Status.AUTHORIZED
    assert PaymentOperation.objects.get().status == PaymentOperation.Status.PENDING


def test_refund_whose_reply_is_lost_is_fetched_and_recorded_once(use_toss: FakeToss) -> None:
    payment = payment_capture(payment=_authorized(use_toss), idempotency_key="cap-1")
    use_toss.time_out_next()

    payment = payment_refund(payment=payment, amount=3_000, idempotency_key="r1", reason="환불")

    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 3_000)
    assert use_toss.confirmed(payment.provider_key)["balanceAmount"] == 7_000


def test_sweeper_settles_a_pending_capture_by_fetching_its_real_status(
    use_toss: FakeToss,
) -> None:
    payment = _authorized(use_toss)
    use_toss.time_out_next(2)  # the confirm's reply and the GET after it are both lost
    with pytest.raises(PaymentPending):
        payment_capture(payment=payment, idempotency_key="cap-1")

    with clock.travel(clock.now() + timedelta(minutes=11)):
        settled = payments_settle_pending(older_than=timedelta(minutes=10))

    assert settled == 1
    assert Payment.objects.get().status == Payment.Status.CAPTURED
    assert PaymentOperation.objects.get().status == PaymentOperation.Status.SUCCEEDED


def test_sweeper_leaves_operations_younger_than_the_threshold(use_toss: FakeToss) -> None:
    payment = _authorized(use_toss)
    use_toss.time_out_next(2)
    with pytest.raises(PaymentPending):
        payment_capture(payment=payment, idempotency_key="cap-1")

    settled = payments_settle_pending(older_than=timedelta(minutes=10))

    assert settled == 0
    assert PaymentOperation.objects.get().status == PaymentOperation.Status.PENDING


def test_sweeper_fails_a_capture_whose_window_toss_aborted(use_toss: FakeToss) -> None:
    payment = _authorized(use_toss)
    use_toss.respond_next(500, {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "오류"})
    use_toss.respond_next(500, {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "오류"})
    with pytest.raises(PaymentPending):
        payment_capture(payment=payment, idempotency_key="cap-1")
    use_toss.payments[payment.provider_key]["status"] = "EXPIRED"

    with clock.travel(clock.now() + timedelta(minutes=11)):
        payments_settle_pending(older_than=timedelta(minutes=10))

    assert (Payment.objects.get().status, Payment.objects.get().error_code) == (
        "failed", "EXPIRED",
    )


def test_capture_pending_past_the_key_lifetime_is_fetched_not_confirmed_again(
    use_toss: FakeToss,
) -> None:
    payment = _authorized(use_toss)
    use_toss.time_out_next(2)
    with pytest.raises(PaymentPending):
        payment_capture(payment=payment, idempotency_key="cap-1")
    use_toss.advance(timedelta(days=16))
    posts_before = [r for r in use_toss.requests if r.method == "POST"]

    with clock.travel(clock.now() + timedelta(days=16)):
        payment = payment_capture(payment=payment, idempotency_key="cap-1")

    assert payment.status == Payment.Status.CAPTURED
    assert [r for r in use_toss.requests if r.method == "POST"] == posts_before


def test_periodic_sweep_settles_a_sandbox_authorization_whose_answer_was_lost(settings) -> None:
    settings.PAYMENTS_SWEEP_AFTER_MINUTES = 10
    with pytest.raises(PaymentPending):
        payment_authorize(amount=7_000, source=CARD_TIMEOUT, idempotency_key="k1")

    with clock.travel(clock.now() + timedelta(minutes=11)):
        settled = tasks.payments_sweep.call_local()

    assert settled == 1
    assert Payment.objects.get().status == Payment.Status.AUTHORIZED


def _refund_pending(server: FakeToss, *, lost_after_toss_did_it: bool) -> Payment:
    """Capture 10,000 won and ask a 3,000 won refund whose answer is lost, together with the
    GET after it; Toss made the refund only if `lost_after_toss_did_it`."""
    payment = payment_capture(payment=_authorized(server), idempotency_key="cap-1")
    if lost_after_toss_did_it:
        server.time_out_next(2)
    else:
        server.respond_next(500, {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "오류"})
        server.respond_next(500, {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "오류"})
    with pytest.raises(PaymentPending):
        payment_refund(payment=payment, amount=3_000, idempotency_key="r1", reason="환불")
    return payment


def test_sweeper_records_a_lost_partial_refund_that_toss_made(use_toss: FakeToss) -> None:
    _refund_pending(use_toss, lost_after_toss_did_it=True)

    with clock.travel(clock.now() + timedelta(minutes=11)):
        payments_settle_pending(older_than=timedelta(minutes=10))

    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 3_000)
    assert use_toss.confirmed(payment.provider_key)["balanceAmount"] == 7_000


def test_sweeper_repeats_a_refund_toss_never_received_while_the_key_lives(
    use_toss: FakeToss,
) -> None:
    _refund_pending(use_toss, lost_after_toss_did_it=False)

    with clock.travel(clock.now() + timedelta(minutes=11)):
        payments_settle_pending(older_than=timedelta(minutes=10))

    payment = Payment.objects.get()
    assert payment.refunded_amount == 3_000
    assert use_toss.confirmed(payment.provider_key)["balanceAmount"] == 7_000


def test_refund_toss_never_received_past_the_key_lifetime_fails_so_it_can_be_asked_again(
    use_toss: FakeToss,
) -> None:
    payment = _refund_pending(use_toss, lost_after_toss_did_it=False)
    use_toss.advance(timedelta(days=15))

    with clock.travel(clock.now() + timedelta(days=15)):
        payments_settle_pending(older_than=timedelta(minutes=10))
        payment = payment_refund(
            payment=payment, amount=3_000, idempotency_key="r2", reason="환불"
        )

    operation = PaymentOperation.objects.get(idempotency_key="r1")
    assert (operation.status, operation.error_code) == ("failed", "NOT_PROCESSED")
    assert payment.refunded_amount == 3_000
    assert use_toss.confirmed(payment.provider_key)["balanceAmount"] == 7_000
