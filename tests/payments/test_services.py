"""Payment services: authorize, capture, cancel, refund through the configured provider."""

import threading
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction

from dangol.core.errors import IdempotencyKeyReused, ValidationError
from dangol.payments.errors import (
    OrderIdTaken,
    PaymentDeclined,
    PaymentError,
    PaymentPending,
    PaymentRejected,
    PaymentStateError,
    ProviderError,
    RefundExceedsCaptured,
)
from dangol.payments.fakes.toss import APPROVE as TOSS_APPROVE
from dangol.payments.fakes.toss import FakeToss
from dangol.payments.models import Payment, PaymentOperation, SandboxCharge, SandboxRequest
from dangol.payments.services import (
    payment_authorize,
    payment_cancel,
    payment_capture,
    payment_charge,
    payment_refund,
)

pytestmark = pytest.mark.django_db

APPROVE = "4000-0000-0000-0002"
DECLINE = "4000-0000-0000-0069"
TIMEOUT = "4000-0000-0000-0119"


def _captured(amount: int = 10_000, key: str = "pay-1") -> Payment:
    payment = payment_authorize(amount=amount, source=APPROVE, idempotency_key=key)
    return payment_capture(payment=payment, idempotency_key=f"{key}-capture")


# --- authorize ------------------------------------------------------------------------------


def test_authorize_records_an_authorized_krw_payment_with_the_sandbox_by_default() -> None:
    payment = payment_authorize(amount=25_000, source=APPROVE, idempotency_key="pay-1")

    assert payment.status == Payment.Status.AUTHORIZED
    assert (payment.amount, payment.currency, payment.provider) == (25_000, "KRW", "sandbox")
    assert payment.provider_key == SandboxCharge.objects.get().key
    assert payment.order_id.startswith("DG")


def test_authorize_retried_with_the_same_key_returns_the_first_payment() -> None:
    first = payment_authorize(amount=25_000, source=APPROVE, idempotency_key="pay-1")

    again = payment_authorize(amount=25_000, source=APPROVE, idempotency_key="pay-1")

    assert again.pk == first.pk
    assert (Payment.objects.count(), SandboxCharge.objects.count()) == (1, 1)


def test_declined_card_records_a_failed_payment_with_the_korean_reason() -> None:
    payment = payment_authorize(amount=25_000, source=DECLINE, idempotency_key="pay-1")

    assert payment.status == Payment.Status.FAILED
    assert payment.error_code == "INSUFFICIENT_FUNDS"
    assert payment.error_message == "잔액이 부족합니다."


def test_declined_payment_retried_with_its_key_returns_the_failure_without_asking_again() -> None:
    payment_authorize(amount=25_000, source=DECLINE, idempotency_key="pay-1")
    requests_before = SandboxRequest.objects.count()

    again = payment_authorize(amount=25_000, source=DECLINE, idempotency_key="pay-1")

    assert again.status == Payment.Status.FAILED
    assert SandboxRequest.objects.count() == requests_before


def test_authorize_key_reused_for_another_amount_is_refused() -> None:
    payment_authorize(amount=25_000, source=APPROVE, idempotency_key="pay-1")

    with pytest.raises(IdempotencyKeyReused):
        payment_authorize(amount=26_000, source=APPROVE, idempotency_key="pay-1")


def test_order_id_of_another_payment_is_refused() -> None:
    payment_authorize(amount=1_000, source=APPROVE, idempotency_key="pay-1", order_id="order-1")

    with pytest.raises(OrderIdTaken):
        payment_authorize(amount=1_000, source=APPROVE, idempotency_key="pay-2", order_id="order-1")


@pytest.mark.parametrize("amount", [0, -1_000, 1.5, True])
def test_amount_must_be_a_positive_int_of_won(amount) -> None:
    with pytest.raises(ValidationError):
        payment_authorize(amount=amount, source=APPROVE, idempotency_key="pay-1")

    assert not Payment.objects.exists()


def test_unknown_provider_is_a_configuration_error_before_anything_is_recorded(settings) -> None:
    settings.PAYMENTS_PROVIDER = "nonexistent"

    with pytest.raises(ImproperlyConfigured):
        payment_authorize(amount=1_000, source=APPROVE, idempotency_key="pay-1")

    assert not Payment.objects.exists()


def test_authorize_timeout_leaves_the_payment_pending_and_the_retry_resolves_it() -> None:
    with pytest.raises(PaymentPending) as raised:
        payment_authorize(amount=9_000, source=TIMEOUT, idempotency_key="pay-1")
    pending = Payment.objects.get()
    assert (pending.status, pending.error_code) == (Payment.Status.PENDING, "TIMEOUT")
    assert "같은 요청" in raised.value.message
    assert not SandboxCharge.objects.filter(status="captured").exists()

    payment = payment_authorize(amount=9_000, source=TIMEOUT, idempotency_key="pay-1")

    assert payment.pk == pending.pk
    assert (payment.status, payment.error_code) == (Payment.Status.AUTHORIZED, "")
    assert payment_capture(payment=payment, idempotency_key="cap-1").status == "captured"


# --- charge (authorize and capture) ---------------------------------------------------------


def test_charge_authorizes_and_captures_once_for_one_key() -> None:
    payment = payment_charge(amount=12_000, source=APPROVE, idempotency_key="buy-1")

    again = payment_charge(amount=12_000, source=APPROVE, idempotency_key="buy-1")

    assert (payment.status, again.pk) == (Payment.Status.CAPTURED, payment.pk)
    assert SandboxCharge.objects.get().status == "captured"
    assert list(PaymentOperation.objects.values_list("kind", "idempotency_key")) == [
        ("capture", "buy-1:capture")
    ]


def test_charge_of_a_declined_card_raises_with_the_failed_payment_and_its_reason() -> None:
    with pytest.raises(PaymentDeclined) as declined:
        payment_charge(amount=12_000, source=DECLINE, idempotency_key="buy-1")

    assert declined.value.payment.status == Payment.Status.FAILED
    assert declined.value.reason == "잔액이 부족합니다."
    assert (declined.value.code, declined.value.status) == ("payment_declined", 402)
    assert not PaymentOperation.objects.exists()


def test_charge_without_an_answer_is_pending_and_the_retry_captures() -> None:
    with pytest.raises(PaymentPending):
        payment_charge(amount=9_000, source=TIMEOUT, idempotency_key="buy-1")

    payment = payment_charge(amount=9_000, source=TIMEOUT, idempotency_key="buy-1")

    assert payment.status == Payment.Status.CAPTURED
    assert Payment.objects.count() == 1


# --- capture and cancel ---------------------------------------------------------------------


def test_capture_takes_the_authorized_payment() -> None:
    payment = _captured(amount=15_000)

    assert payment.status == Payment.Status.CAPTURED
    assert SandboxCharge.objects.get().status == "captured"


def test_capture_retried_with_its_key_returns_the_first_result() -> None:
    payment = payment_authorize(amount=15_000, source=APPROVE, idempotency_key="pay-1")
    payment_capture(payment=payment, idempotency_key="cap-1")

    again = payment_capture(payment=payment, idempotency_key="cap-1")

    assert again.status == Payment.Status.CAPTURED
    assert PaymentOperation.objects.count() == 1


def test_capture_of_a_failed_payment_is_refused() -> None:
    payment = payment_authorize(amount=15_000, source=DECLINE, idempotency_key="pay-1")

    with pytest.raises(PaymentStateError):
        payment_capture(payment=payment, idempotency_key="cap-1")


def test_second_capture_under_a_new_key_is_refused() -> None:
    payment = _captured()

    with pytest.raises(PaymentStateError):
        payment_capture(payment=payment, idempotency_key="cap-2")


def test_cancel_releases_the_authorization() -> None:
    payment = payment_authorize(amount=15_000, source=APPROVE, idempotency_key="pay-1")

    payment = payment_cancel(payment=payment, idempotency_key="cancel-1", reason="주문 취소")

    assert payment.status == Payment.Status.CANCELLED
    assert SandboxCharge.objects.get().status == "cancelled"


def test_cancel_of_a_captured_payment_is_refused_in_favour_of_refund() -> None:
    payment = _captured()

    with pytest.raises(PaymentStateError):
        payment_cancel(payment=payment, idempotency_key="cancel-1")


# --- refund ---------------------------------------------------------------------------------


def test_refunds_in_parts_until_the_payment_is_refunded() -> None:
    payment = _captured(amount=10_000)

    payment = payment_refund(payment=payment, amount=3_000, idempotency_key="r1", reason="일부")
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 3_000)
    payment = payment_refund(payment=payment, amount=7_000, idempotency_key="r2", reason="나머지")

    assert (payment.status, payment.refunded_amount) == ("refunded", 10_000)
    assert SandboxCharge.objects.get().refunded_amount == 10_000


def test_refund_beyond_the_captured_amount_is_refused_before_asking_the_provider() -> None:
    payment = _captured(amount=10_000)
    payment_refund(payment=payment, amount=6_000, idempotency_key="r1", reason="일부")
    requests_before = SandboxRequest.objects.count()

    with pytest.raises(RefundExceedsCaptured) as raised:
        payment_refund(payment=payment, amount=4_001, idempotency_key="r2", reason="초과")

    assert "4,000" in raised.value.message
    assert SandboxRequest.objects.count() == requests_before
    assert Payment.objects.get().refunded_amount == 6_000


def test_refund_of_an_uncaptured_payment_is_refused() -> None:
    payment = payment_authorize(amount=10_000, source=APPROVE, idempotency_key="pay-1")

    with pytest.raises(PaymentStateError):
        payment_refund(payment=payment, amount=1_000, idempotency_key="r1", reason="환불")


def test_refund_retried_with_its_key_refunds_once() -> None:
    payment = _captured(amount=10_000)
    payment_refund(payment=payment, amount=3_000, idempotency_key="r1", reason="일부")

    again = payment_refund(payment=payment, amount=3_000, idempotency_key="r1", reason="일부")

    assert again.refunded_amount == 3_000
    assert SandboxCharge.objects.get().refunded_amount == 3_000


def test_refund_key_reused_for_another_amount_is_refused() -> None:
    payment = _captured(amount=10_000)
    payment_refund(payment=payment, amount=3_000, idempotency_key="r1", reason="일부")

    with pytest.raises(IdempotencyKeyReused):
        payment_refund(payment=payment, amount=4_000, idempotency_key="r1", reason="일부")


def test_database_refuses_refunds_above_the_amount_and_non_positive_amounts() -> None:
    payment = _captured(amount=10_000)

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(refunded_amount=10_001)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(amount=0, refunded_amount=0)


# --- through Toss ---------------------------------------------------------------------------


def _toss_authorized(server: FakeToss, card: str = TOSS_APPROVE, amount: int = 10_000) -> Payment:
    order_id = f"order-{len(server.payments) + 1:04d}"
    payment_key = server.window(order_id, amount, card=card)
    return payment_authorize(
        amount=amount, source=payment_key, idempotency_key=f"pay-{payment_key}",
        order_id=order_id,
    )


def test_toss_capture_confirms_and_refund_cancels(use_toss: FakeToss) -> None:
    payment = _toss_authorized(use_toss)
    payment_key = payment.provider_key
    assert payment.provider == "toss"

    payment = payment_capture(payment=payment, idempotency_key="cap-1")
    payment = payment_refund(payment=payment, amount=2_500, idempotency_key="r1", reason="환불")

    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 2_500)
    assert use_toss.confirmed(payment_key)["balanceAmount"] == 7_500
    assert [r.path for r in use_toss.requests] == [
        "/v1/payments/confirm", f"/v1/payments/{payment_key}/cancel",
    ]


def test_toss_refund_timeout_then_retry_refunds_once(use_toss: FakeToss) -> None:
    payment = payment_capture(payment=_toss_authorized(use_toss), idempotency_key="c1")
    use_toss.respond_next(500, {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "오류"})
    use_toss.respond_next(500, {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "오류"})
    with pytest.raises(PaymentPending):
        payment_refund(payment=payment, amount=4_000, idempotency_key="r1", reason="환불")
    assert Payment.objects.get().refunded_amount == 0

    payment = payment_refund(payment=payment, amount=4_000, idempotency_key="r1", reason="환불")

    assert payment.refunded_amount == 4_000
    assert use_toss.confirmed(payment.provider_key)["balanceAmount"] == 6_000


def test_toss_refused_refund_is_rejected_and_replayed_without_asking_again(
    use_toss: FakeToss,
) -> None:
    payment = payment_capture(payment=_toss_authorized(use_toss), idempotency_key="c1")
    # refunded elsewhere, e.g. in Toss's console
    use_toss.payments[payment.provider_key]["balanceAmount"] = 1_000

    with pytest.raises(PaymentRejected) as raised:
        payment_refund(payment=payment, amount=4_000, idempotency_key="r1", reason="환불")
    requests_before = len(use_toss.requests)
    with pytest.raises(PaymentRejected):
        payment_refund(payment=payment, amount=4_000, idempotency_key="r1", reason="환불")

    assert raised.value.provider_code == "NOT_CANCELABLE_AMOUNT"
    assert len(use_toss.requests) == requests_before
    assert Payment.objects.get().refunded_amount == 0


def test_toss_bad_secret_key_keeps_the_capture_pending_for_a_retry(
    use_toss: FakeToss, settings
) -> None:
    payment = _toss_authorized(use_toss)
    settings.TOSS_SECRET_KEY = "test_sk_wrong"
    with pytest.raises(ProviderError) as raised:
        payment_capture(payment=payment, idempotency_key="cap-1")
    assert raised.value.provider_code == "UNAUTHORIZED_KEY"
    assert PaymentOperation.objects.get().error_code == "UNAUTHORIZED_KEY"
    settings.TOSS_SECRET_KEY = use_toss.secret_key

    payment = payment_capture(payment=payment, idempotency_key="cap-1")

    assert payment.status == Payment.Status.CAPTURED


# --- concurrency (PostgreSQL) ---------------------------------------------------------------


def _in_threads(count: int, work) -> list[object]:
    results: list[object] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:  # collected for the assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_authorize_with_one_key_makes_one_payment_and_one_charge() -> None:
    key = f"pay-{uuid.uuid4().hex}"

    results = _in_threads(
        8, lambda _i: payment_authorize(amount=5_000, source=APPROVE, idempotency_key=key)
    )

    assert {r.pk for r in results if isinstance(r, Payment)} == {Payment.objects.get().pk}
    assert SandboxCharge.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_the_captured_amount() -> None:
    payment = _captured(amount=10_000)

    results = _in_threads(
        8,
        lambda i: payment_refund(
            payment=payment, amount=3_000, idempotency_key=f"r{i}", reason="환불"
        ),
    )

    payment.refresh_from_db()
    succeeded = PaymentOperation.objects.filter(kind="refund", status="succeeded")
    assert all(isinstance(r, Payment | PaymentError) for r in results)
    assert payment.refunded_amount == 3_000 * succeeded.count() <= 10_000
    assert SandboxCharge.objects.get().refunded_amount == payment.refunded_amount

