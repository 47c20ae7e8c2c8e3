"""The Toss Payments adapter against the local Toss API (dangol.payments.fakes.toss)."""

import base64
import socket
from datetime import timedelta

import pytest

from dangol.payments.errors import ProviderError, ProviderTimeout
from dangol.payments.fakes.toss import APPROVE, DECLINES, SECRET_KEY, FakeToss
from dangol.payments.providers.base import ProviderStatus
from dangol.payments.providers.toss import DECLINE_MESSAGES, TossProvider


def _confirm(toss: TossProvider, payment_key: str = "tpk_1", amount: int = 10_000, key: str = "c1"):
    return toss.capture(
        provider_key=payment_key, order_id="order-0001", amount=amount, idempotency_key=key
    )


def _window(server: FakeToss, card: str = APPROVE, amount: int = 10_000) -> str:
    return server.window("order-0001", amount, card=card)


def test_confirm_posts_the_documented_body_with_basic_auth_and_idempotency_key(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)

    result = _confirm(toss, payment_key)

    (request,) = toss_server.requests
    token = base64.b64encode(f"{SECRET_KEY}:".encode()).decode()
    assert request.path == "/v1/payments/confirm"
    assert request.headers["Authorization"] == f"Basic {token}"
    assert request.headers["Idempotency-Key"] == "c1"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"paymentKey": payment_key, "orderId": "order-0001", "amount": 10_000}
    assert (result.status, result.amount, result.provider_key) == (
        ProviderStatus.CAPTURED, 10_000, payment_key,
    )
    assert result.raw["status"] == "DONE"


def test_confirm_of_an_order_other_than_the_windows_is_refused(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)

    wrong_amount = _confirm(toss, payment_key, amount=9_000, key="c1")
    unknown_key = _confirm(toss, "tpk_never_issued", key="c2")

    assert (wrong_amount.status, wrong_amount.error_code) == (
        ProviderStatus.FAILED, "INVALID_REQUEST",
    )
    assert (unknown_key.status, unknown_key.error_code) == (
        ProviderStatus.FAILED, "NOT_FOUND_PAYMENT_SESSION",
    )
    assert toss_server.confirmed(payment_key)["status"] == "IN_PROGRESS"


def test_refund_posts_cancel_with_reason_and_amount(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)
    _confirm(toss, payment_key)

    result = toss.refund(
        provider_key=payment_key, amount=4_000, reason="고객 변심", idempotency_key="r1"
    )

    request = toss_server.requests[-1]
    assert request.path == f"/v1/payments/{payment_key}/cancel"
    assert request.body == {"cancelReason": "고객 변심", "cancelAmount": 4_000}
    assert request.headers["Idempotency-Key"] == "r1"
    assert (result.status, result.amount) == (ProviderStatus.PARTIALLY_REFUNDED, 4_000)
    assert toss_server.confirmed(payment_key)["balanceAmount"] == 6_000


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
    payment_key = _window(toss_server)
    _confirm(toss, payment_key)
    first = toss.refund(provider_key=payment_key, amount=4_000, reason="환불", idempotency_key="r1")

    again = toss.refund(provider_key=payment_key, amount=4_000, reason="환불", idempotency_key="r1")

    assert again == first
    assert len(toss_server.requests) == 3
    assert toss_server.confirmed(payment_key)["balanceAmount"] == 6_000


@pytest.mark.parametrize("code", sorted(DECLINES))
def test_every_documented_decline_is_a_failed_result_with_a_korean_reason(
    toss: TossProvider, toss_server: FakeToss, code: str
) -> None:
    payment_key = _window(toss_server, card=code)

    result = _confirm(toss, payment_key)

    assert (result.status, result.error_code, result.amount) == (ProviderStatus.FAILED, code, 0)
    assert result.error_message == str(DECLINE_MESSAGES[code])
    assert result.raw["code"] == code


def test_key_and_configuration_errors_are_provider_errors(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    toss_server.respond_next(400, {"code": "INVALID_API_KEY", "message": "잘못된 시크릿키"})

    with pytest.raises(ProviderError) as raised:
        _confirm(toss, _window(toss_server))

    assert not isinstance(raised.value, ProviderTimeout)
    assert raised.value.provider_code == "INVALID_API_KEY"


def test_temporary_provider_error_is_retried_with_the_same_key(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)
    toss_server.provider_errors(2)

    result = _confirm(toss, payment_key)

    assert result.status == ProviderStatus.CAPTURED
    assert [r.headers["Idempotency-Key"] for r in toss_server.requests] == ["c1", "c1", "c1"]


def test_provider_error_that_outlasts_the_retries_means_outcome_unknown(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)
    toss_server.provider_errors(10)

    with pytest.raises(ProviderTimeout) as raised:
        _confirm(toss, payment_key)

    assert raised.value.provider_code == "PROVIDER_ERROR"


def test_already_processed_payment_is_fetched_and_its_real_status_returned(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)
    _confirm(toss, payment_key, key="c1")

    result = _confirm(toss, payment_key, key="c2")

    assert (result.status, result.amount) == (ProviderStatus.CAPTURED, 10_000)
    assert [(r.method, r.path) for r in toss_server.requests][-1] == (
        "GET", f"/v1/payments/{payment_key}",
    )


def test_already_processed_payment_partly_refunded_since_is_still_the_capture(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)
    _confirm(toss, payment_key, key="c1")
    toss.refund(provider_key=payment_key, amount=4_000, reason="환불", idempotency_key="r1")

    result = _confirm(toss, payment_key, key="c2")

    assert (result.status, result.amount) == (ProviderStatus.CAPTURED, 10_000)


def test_a_key_older_than_fifteen_days_is_new_to_toss_and_the_payment_is_fetched(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)
    _confirm(toss, payment_key, key="c1")
    toss_server.advance(timedelta(days=15))

    result = _confirm(toss, payment_key, key="c1")

    assert (result.status, result.amount) == (ProviderStatus.CAPTURED, 10_000)
    assert toss_server.requests[-1].method == "GET"


def test_lookup_by_payment_key_and_by_order_id(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)
    _confirm(toss, payment_key)
    toss.refund(provider_key=payment_key, amount=4_000, reason="환불", idempotency_key="r1")

    by_key = toss.lookup(provider_key=payment_key, order_id="order-0001")
    by_order = toss.lookup(provider_key="", order_id="order-0001")

    assert by_key == by_order
    assert (by_key.status, by_key.amount) == (ProviderStatus.PARTIALLY_REFUNDED, 6_000)
    assert toss_server.requests[-1].path == "/v1/payments/orders/order-0001"


def test_lookup_of_an_unknown_order_fails_with_not_found(toss: TossProvider) -> None:
    result = toss.lookup(provider_key="", order_id="order-none")

    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "NOT_FOUND_PAYMENT")


def test_confirm_whose_reply_is_lost_raises_timeout_and_lookup_finds_it_done(
    toss: TossProvider, toss_server: FakeToss
) -> None:
    payment_key = _window(toss_server)
    toss_server.time_out_next()
    with pytest.raises(ProviderTimeout):
        _confirm(toss, payment_key)

    result = toss.lookup(provider_key=payment_key, order_id="order-0001")

    assert (result.status, result.amount) == (ProviderStatus.CAPTURED, 10_000)


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
        ("WAITING_FOR_DEPOSIT", ProviderStatus.AUTHORIZED),
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
