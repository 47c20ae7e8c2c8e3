"""The sandbox provider's test cards and its database-backed state."""

import time

import pytest

from dangol.payments.errors import ProviderError, ProviderTimeout
from dangol.payments.models import SandboxCharge, SandboxRequest
from dangol.payments.providers.base import ProviderStatus
from dangol.payments.providers.sandbox import SandboxProvider

pytestmark = pytest.mark.django_db

APPROVE = "4000-0000-0000-0002"
DECLINE = "4000-0000-0000-0069"
TIMEOUT = "4000-0000-0000-0119"


def test_approve_card_books_an_authorization_keeping_only_the_last_four_digits() -> None:
    result = SandboxProvider().authorize(
        source=APPROVE, order_id="order-1", amount=20_000, idempotency_key="a1"
    )

    charge = SandboxCharge.objects.get(key=result.provider_key)
    assert result.status == ProviderStatus.AUTHORIZED
    assert (charge.status, charge.amount, charge.card_last4) == ("authorized", 20_000, "0002")
    assert "4000000000000002" not in str(SandboxRequest.objects.get().response)


def test_decline_card_fails_with_insufficient_funds_in_korean() -> None:
    result = SandboxProvider().authorize(
        source=DECLINE, order_id="order-1", amount=20_000, idempotency_key="a1"
    )

    assert result.status == ProviderStatus.FAILED
    assert (result.error_code, result.error_message) == ("INSUFFICIENT_FUNDS", "잔액이 부족합니다.")
    assert not SandboxCharge.objects.exists()


def test_unknown_card_is_declined_as_invalid() -> None:
    result = SandboxProvider().authorize(
        source="1234-5678-9012-3456", order_id="order-1", amount=1_000, idempotency_key="a1"
    )

    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "INVALID_CARD")


def test_timeout_card_raises_after_the_configured_delay_with_nothing_captured() -> None:
    provider = SandboxProvider(timeout_seconds=0.2)
    started = time.monotonic()

    with pytest.raises(ProviderTimeout):
        provider.authorize(source=TIMEOUT, order_id="order-1", amount=9_000, idempotency_key="a1")

    assert time.monotonic() - started >= 0.2
    assert not SandboxCharge.objects.exclude(status="authorized").exists()


def test_timeout_delay_comes_from_settings(settings) -> None:
    settings.PAYMENTS_SANDBOX_TIMEOUT_SECONDS = 0.25

    assert SandboxProvider().timeout_seconds == 0.25


def test_timeout_card_repeated_with_its_key_returns_the_authorization_at_once() -> None:
    provider = SandboxProvider(timeout_seconds=0.2)
    with pytest.raises(ProviderTimeout):
        provider.authorize(source=TIMEOUT, order_id="order-1", amount=9_000, idempotency_key="a1")
    started = time.monotonic()

    result = provider.authorize(
        source=TIMEOUT, order_id="order-1", amount=9_000, idempotency_key="a1"
    )

    assert time.monotonic() - started < 0.2
    assert (result.status, result.amount) == (ProviderStatus.AUTHORIZED, 9_000)


def test_state_and_first_answers_outlive_the_provider_instance() -> None:
    authorized = SandboxProvider().authorize(
        source=APPROVE, order_id="order-1", amount=5_000, idempotency_key="a1"
    )
    captured = SandboxProvider().capture(
        provider_key=authorized.provider_key, order_id="order-1", amount=5_000,
        idempotency_key="c1",
    )

    again = SandboxProvider().capture(
        provider_key=authorized.provider_key, order_id="order-1", amount=5_000,
        idempotency_key="c1",
    )

    assert again == captured
    assert SandboxCharge.objects.get().status == "captured"


def test_key_reused_for_a_different_request_is_refused() -> None:
    provider = SandboxProvider()
    provider.authorize(source=APPROVE, order_id="order-1", amount=5_000, idempotency_key="a1")

    with pytest.raises(ProviderError) as raised:
        provider.authorize(source=APPROVE, order_id="order-1", amount=6_000, idempotency_key="a1")

    assert raised.value.provider_code == "IDEMPOTENCY_KEY_REUSED"


def test_cancelled_authorization_cannot_be_captured() -> None:
    provider = SandboxProvider()
    authorized = provider.authorize(
        source=APPROVE, order_id="order-1", amount=5_000, idempotency_key="a1"
    )
    provider.cancel(provider_key=authorized.provider_key, reason="취소", idempotency_key="x1")

    result = provider.capture(
        provider_key=authorized.provider_key, order_id="order-1", amount=5_000,
        idempotency_key="c1",
    )

    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "NOT_CAPTURABLE")


def test_capture_of_a_different_amount_is_refused() -> None:
    provider = SandboxProvider()
    authorized = provider.authorize(
        source=APPROVE, order_id="order-1", amount=5_000, idempotency_key="a1"
    )

    result = provider.capture(
        provider_key=authorized.provider_key, order_id="order-1", amount=4_000,
        idempotency_key="c1",
    )

    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "NOT_MATCHES_AMOUNT")
    assert SandboxCharge.objects.get().status == "authorized"


def test_refund_of_an_unknown_payment_fails_with_not_found() -> None:
    result = SandboxProvider().refund(
        provider_key="sbx_missing", amount=1_000, reason="환불", idempotency_key="r1"
    )

    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "NOT_FOUND_PAYMENT")
