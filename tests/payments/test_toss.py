"""The Toss Payments adapter against the local Toss API (tests/payments/toss_server.py)."""

import base64
import socket

import pytest

from dangol.payments.errors import ProviderError, ProviderTimeout
from dangol.payments.providers.base import ProviderStatus
from dangol.payments.providers.toss import TossProvider
from tests.payments.toss_server import SECRET_KEY, FakeToss


def _confirm(toss: TossProvider, payment_key: str = "tpk_1", amount: int = 10_000, key: str = "c1"):
    return toss.capture(
        provider_key=payment_key, order_id="order-0001", amount=amount, idempotency_key=key
    )


def test_confirm_posts_the_documented_body_with_basic_auth_and_idempotency_key(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    result = _confirm(toss)

    (request,) = toss_server.requests
    token = base64.b64encode(f"{SECRET_KEY}:".encode()).decode()
    assert request.path == "/v1/payments/confirm"
    assert request.headers["Authorization"] == f"Basic {token}"
    assert request.headers["Idempotency-Key"] == "c1"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"paymentKey": "tpk_1", "orderId": "order-0001", "amount": 10_000}
    assert (result.status, result.amount, result.provider_key) == (
        ProviderStatus.CAPTURED, 10_000, "tpk_1",
    )
    assert result.raw["status"] == "DONE"


def test_refund_posts_cancel_with_reason_and_amount(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    _confirm(toss)

    result = toss.refund(
        provider_key="tpk_1", amount=4_000, reason="고객 변심", idempotency_key="r1"
    )

    request = toss_server.requests[-1]
    assert request.path == "/v1/payments/tpk_1/cancel"
    assert request.body == {"cancelReason": "고객 변심", "cancelAmount": 4_000}
    assert request.headers["Idempotency-Key"] == "r1"
    assert (result.status, result.amount) == (ProviderStatus.PARTIALLY_REFUNDED, 4_000)
    assert toss_server.confirmed("tpk_1")["balanceAmount"] == 6_000


def test_authorize_and_cancel_make_no_call_because_toss_has_no_separate_authorization(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    authorized = toss.authorize(
        source="tpk_1", order_id="order-0001", amount=10_000, idempotency_key="a1"
    )
    cancelled = toss.cancel(provider_key="tpk_1", reason="취소", idempotency_key="x1")

    assert (authorized.status, authorized.provider_key) == (ProviderStatus.AUTHORIZED, "tpk_1")
    assert cancelled.status == ProviderStatus.CANCELLED
    assert toss_server.requests == []


def test_repeated_idempotency_key_gets_the_stored_first_response(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    _confirm(toss)
    first = toss.refund(provider_key="tpk_1", amount=4_000, reason="환불", idempotency_key="r1")

    again = toss.refund(provider_key="tpk_1", amount=4_000, reason="환불", idempotency_key="r1")

    assert again == first
    assert len(toss_server.requests) == 3
    assert toss_server.confirmed("tpk_1")["balanceAmount"] == 6_000


def test_error_body_becomes_a_failed_result_with_code_and_message(toss: TossProvider) -> None:
    result = _confirm(toss, payment_key="invalid_card_1")

    assert result.status == ProviderStatus.FAILED
    assert result.error_code == "INVALID_CARD_COMPANY"
    assert result.error_message == "유효하지 않은 카드입니다."
    assert result.raw == {"code": "INVALID_CARD_COMPANY", "message": "유효하지 않은 카드입니다."}


def test_second_confirm_of_a_payment_under_a_new_key_is_refused(toss: TossProvider) -> None:
    _confirm(toss, key="c1")

    result = _confirm(toss, key="c2")

    assert (result.status, result.error_code) == (
        ProviderStatus.FAILED, "ALREADY_PROCESSED_PAYMENT",
    )


def test_refund_of_an_unknown_payment_fails_with_not_found(toss: TossProvider) -> None:
    result = toss.refund(provider_key="tpk_none", amount=1_000, reason="환불", idempotency_key="r1")

    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "NOT_FOUND_PAYMENT")


def test_wrong_secret_key_raises_unauthorised(toss_server: FakeToss) -> None:
    toss = TossProvider(secret_key="test_sk_wrong", api_base=toss_server.url, timeout_seconds=1)

    with pytest.raises(ProviderError) as raised:
        _confirm(toss)

    assert not isinstance(raised.value, ProviderTimeout)
    assert raised.value.provider_code == "UNAUTHORIZED_KEY"
    assert "인증되지 않은" in raised.value.message


def test_slow_response_raises_timeout_and_the_retry_gets_the_confirmed_payment(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    with pytest.raises(ProviderTimeout):
        _confirm(toss, payment_key="slow_1")

    result = _confirm(toss, payment_key="slow_1")

    assert (result.status, result.amount) == (ProviderStatus.CAPTURED, 10_000)


def test_server_error_means_outcome_unknown(toss: TossProvider, toss_server: FakeToss) -> None:
    toss_server.respond_next(
        500,
        {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "내부 처리 실패"},
    )

    with pytest.raises(ProviderTimeout) as raised:
        _confirm(toss)

    assert raised.value.provider_code == "FAILED_INTERNAL_SYSTEM_PROCESSING"


def test_request_still_processing_at_toss_means_outcome_unknown(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    toss_server.respond_next(
        409, {"code": "IDEMPOTENT_REQUEST_PROCESSING", "message": "이전 요청이 처리 중 입니다."}
    )

    with pytest.raises(ProviderTimeout):
        _confirm(toss)


def test_unreachable_api_means_outcome_unknown() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    toss = TossProvider(
        secret_key=SECRET_KEY, api_base=f"http://127.0.0.1:{port}", timeout_seconds=1
    )

    with pytest.raises(ProviderTimeout):
        _confirm(toss)


def test_body_that_is_not_json_raises_provider_error(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    toss_server.respond_next(400, b"<html>Bad Request</html>")

    with pytest.raises(ProviderError) as raised:
        _confirm(toss)

    assert raised.value.provider_code == "INVALID_RESPONSE"


@pytest.mark.parametrize(
    ("toss_status", "ours"),
    [
        ("DONE", ProviderStatus.CAPTURED),
        ("CANCELED", ProviderStatus.REFUNDED),
        ("PARTIAL_CANCELED", ProviderStatus.PARTIALLY_REFUNDED),
        ("ABORTED", ProviderStatus.FAILED),
        ("EXPIRED", ProviderStatus.FAILED),
    ],
)
def test_toss_statuses_map_to_ours(
    toss: TossProvider, toss_server: FakeToss, toss_status: str, ours: ProviderStatus
) -> None:
    toss_server.respond_next(
        200,
        {"paymentKey": "tpk_1", "orderId": "order-0001", "status": toss_status,
         "totalAmount": 10_000, "balanceAmount": 10_000},
    )

    result = _confirm(toss)

    assert result.status == ours
    if ours == ProviderStatus.FAILED:
        assert result.error_code == toss_status
        assert result.amount == 0


def test_unknown_toss_status_is_a_provider_error(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    toss_server.respond_next(200, {"paymentKey": "tpk_1", "status": "SOMETHING_NEW"})

    with pytest.raises(ProviderError) as raised:
        _confirm(toss)

    assert raised.value.provider_code == "UNKNOWN_STATUS"


def test_api_base_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        TossProvider(secret_key=SECRET_KEY, api_base="file:///etc/passwd")


def test_settings_configure_the_adapter(settings) -> None:
    settings.TOSS_SECRET_KEY = "test_sk_from_settings"
    settings.TOSS_API_BASE = "https://api.example.test/"
    settings.TOSS_TIMEOUT_SECONDS = 4.5

    toss = TossProvider()

    assert (toss.secret_key, toss.api_base, toss.timeout_seconds) == (
        "test_sk_from_settings", "https://api.example.test", 4.5,
    )
