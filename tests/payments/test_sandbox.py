"""The sandbox provider's test cards and its database-backed state."""

import pytest

from dangol.payments.errors import ProviderError, ProviderTimeout
from dangol.payments.models import SandboxCharge, SandboxRequest
from dangol.payments.providers import sandbox
from dangol.payments.providers.base import ProviderStatus
from dangol.payments.providers.sandbox import SandboxProvider, sandbox_cards

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


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Record the sandbox's waits instead of waiting (its slow path is `time.sleep`)."""
    recorded: list[float] = []
    monkeypatch.setattr(sandbox.time, "sleep", recorded.append)
    return recorded


def test_timeout_card_raises_after_the_configured_delay_with_nothing_captured(sleeps) -> None:
    provider = SandboxProvider(timeout_seconds=0.2)

    with pytest.raises(ProviderTimeout):
        provider.authorize(source=TIMEOUT, order_id="order-1", amount=9_000, idempotency_key="a1")

    assert sleeps == [0.2]
    charge = SandboxCharge.objects.get()
    assert (charge.status, charge.amount, charge.card_last4) == ("authorized", 9_000, "0119")


def test_timeout_delay_comes_from_settings(settings) -> None:
    settings.PAYMENTS_SANDBOX_TIMEOUT_SECONDS = 0.25

    assert SandboxProvider().timeout_seconds == 0.25


def test_timeout_card_repeated_with_its_key_returns_the_stored_authorization_without_waiting(
    sleeps,
) -> None:
    # Given a timeout-card authorization whose answer was lost after the sandbox booked it
    provider = SandboxProvider(timeout_seconds=0.2)
    with pytest.raises(ProviderTimeout):
        provider.authorize(source=TIMEOUT, order_id="order-1", amount=9_000, idempotency_key="a1")
    assert sleeps == [0.2]

    # When the call is repeated with the same key
    result = provider.authorize(
        source=TIMEOUT, order_id="order-1", amount=9_000, idempotency_key="a1"
    )

    # Then it does not wait again and returns the answer booked the first time, for the one
    # authorization there is
    assert sleeps == [0.2]
    charge = SandboxCharge.objects.get()
    assert (result.status, result.amount, result.provider_key) == (
        ProviderStatus.AUTHORIZED, 9_000, charge.key,
    )
    assert result.to_json() == SandboxRequest.objects.get(idempotency_key="a1").response


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


def test_payment_pages_hint_the_three_test_cards_in_tests_and_the_demo(settings) -> None:
    settings.PAYMENTS_PROVIDER = "sandbox"

    cards = sandbox_cards()

    assert [number for number, _label in cards] == [
        APPROVE.replace("-", ""), DECLINE.replace("-", ""), TIMEOUT.replace("-", ""),
    ]
    assert [label for _number, label in cards] == [
        "승인", "거절 (잔액 부족)", "응답 없음 (시간 초과)",
    ]


@pytest.mark.parametrize(
    ("provider", "demo", "testing"), [("toss", True, True), ("sandbox", False, False)]
)
def test_test_cards_are_not_hinted_with_a_real_provider_or_in_production(
    settings, provider, demo, testing
) -> None:
    settings.PAYMENTS_PROVIDER, settings.DEMO, settings.TESTING = provider, demo, testing

    assert sandbox_cards() == []
