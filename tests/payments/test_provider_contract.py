"""The provider interface's contract, run against the sandbox and the Toss adapter (the
latter talking to the local Toss API)."""

import uuid
from dataclasses import dataclass

import pytest

from dangol.payments.errors import ProviderTimeout
from dangol.payments.providers.base import PaymentProvider, ProviderResult, ProviderStatus
from dangol.payments.providers.sandbox import CARD_DECLINE, CARD_TIMEOUT, SandboxProvider

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    """A provider and the sources that make it approve, decline or lose its answer."""

    provider: PaymentProvider
    approve: str
    decline: str
    decline_code: str
    lost_answer: str

    def order(self) -> str:
        return f"order-{uuid.uuid4().hex[:16]}"


@pytest.fixture(params=["sandbox", "toss"])
def case(request) -> Case:
    if request.param == "sandbox":
        return Case(
            provider=SandboxProvider(timeout_seconds=0.05),
            approve="4000-0000-0000-0002",
            decline=CARD_DECLINE,
            decline_code="INSUFFICIENT_FUNDS",
            lost_answer=CARD_TIMEOUT,
        )
    unique = uuid.uuid4().hex
    # A paymentKey per source, as Toss's payment window would return for each attempt.
    return Case(
        provider=request.getfixturevalue("toss"),
        approve=f"tpk_{unique}",
        decline=f"invalid_card_{unique}",
        decline_code="INVALID_CARD_COMPANY",
        lost_answer=f"slow_{unique}",
    )


def _charge(case: Case, *, source: str, amount: int, key: str) -> tuple[str, ProviderResult]:
    """Authorize and capture `amount`; return (order id, the last result)."""
    order = case.order()
    authorized = case.provider.authorize(
        source=source, order_id=order, amount=amount, idempotency_key=f"{key}-a"
    )
    if not authorized.ok:
        return order, authorized
    return order, case.provider.capture(
        provider_key=authorized.provider_key,
        order_id=order,
        amount=amount,
        idempotency_key=f"{key}-c",
    )


def test_authorize_returns_an_authorization_for_the_amount(case: Case) -> None:
    result = case.provider.authorize(
        source=case.approve, order_id=case.order(), amount=15_000, idempotency_key="k1"
    )

    assert result.status == ProviderStatus.AUTHORIZED
    assert result.provider_key
    assert result.amount == 15_000
    assert result.error_code == ""


def test_capture_takes_the_whole_authorized_amount(case: Case) -> None:
    _order, result = _charge(case, source=case.approve, amount=15_000, key="k")

    assert result.status == ProviderStatus.CAPTURED
    assert result.amount == 15_000
    assert isinstance(result.raw, dict) and result.raw


def test_refunds_in_parts_until_nothing_is_left(case: Case) -> None:
    _order, captured = _charge(case, source=case.approve, amount=10_000, key="k")

    first = case.provider.refund(
        provider_key=captured.provider_key, amount=3_000, reason="부분 환불", idempotency_key="r1"
    )
    second = case.provider.refund(
        provider_key=captured.provider_key, amount=7_000, reason="잔액 환불", idempotency_key="r2"
    )

    assert (first.status, first.amount) == (ProviderStatus.PARTIALLY_REFUNDED, 3_000)
    assert (second.status, second.amount) == (ProviderStatus.REFUNDED, 7_000)


def test_refund_beyond_what_is_left_fails_with_a_code(case: Case) -> None:
    _order, captured = _charge(case, source=case.approve, amount=10_000, key="k")

    result = case.provider.refund(
        provider_key=captured.provider_key, amount=10_001, reason="환불", idempotency_key="r1"
    )

    assert result.status == ProviderStatus.FAILED
    assert result.error_code == "NOT_CANCELABLE_AMOUNT"
    assert result.amount == 0


def test_cancel_releases_an_uncaptured_authorization(case: Case) -> None:
    authorized = case.provider.authorize(
        source=case.approve, order_id=case.order(), amount=5_000, idempotency_key="a1"
    )

    result = case.provider.cancel(
        provider_key=authorized.provider_key, reason="주문 취소", idempotency_key="x1"
    )

    assert result.status == ProviderStatus.CANCELLED


def test_declined_source_fails_with_the_provider_code_and_a_korean_message(case: Case) -> None:
    _order, result = _charge(case, source=case.decline, amount=10_000, key="k")

    assert result.status == ProviderStatus.FAILED
    assert result.error_code == case.decline_code
    assert any("\uac00" <= ch <= "\ud7a3" for ch in result.error_message)
    assert result.amount == 0


def test_each_call_repeated_with_its_key_returns_the_first_result(case: Case) -> None:
    order = case.order()
    authorize = dict(source=case.approve, order_id=order, amount=8_000, idempotency_key="a1")
    authorized = case.provider.authorize(**authorize)
    capture = dict(
        provider_key=authorized.provider_key, order_id=order, amount=8_000, idempotency_key="c1"
    )
    captured = case.provider.capture(**capture)
    refund = dict(
        provider_key=authorized.provider_key, amount=2_000, reason="환불", idempotency_key="r1"
    )
    refunded = case.provider.refund(**refund)

    assert case.provider.authorize(**authorize) == authorized
    assert case.provider.capture(**capture) == captured
    assert case.provider.refund(**refund) == refunded
    left = case.provider.refund(
        provider_key=authorized.provider_key, amount=6_000, reason="환불", idempotency_key="r2"
    )
    assert left.status == ProviderStatus.REFUNDED  # the repeat did not refund twice


def test_repeated_cancel_returns_the_first_result(case: Case) -> None:
    authorized = case.provider.authorize(
        source=case.approve, order_id=case.order(), amount=5_000, idempotency_key="a1"
    )
    cancel = dict(provider_key=authorized.provider_key, reason="취소", idempotency_key="x1")

    assert case.provider.cancel(**cancel) == case.provider.cancel(**cancel)


def test_call_whose_answer_was_lost_gives_its_outcome_when_repeated(case: Case) -> None:
    order = case.order()

    def attempt() -> ProviderResult:
        authorized = case.provider.authorize(
            source=case.lost_answer, order_id=order, amount=12_000, idempotency_key="a1"
        )
        return case.provider.capture(
            provider_key=authorized.provider_key,
            order_id=order,
            amount=12_000,
            idempotency_key="c1",
        )

    with pytest.raises(ProviderTimeout):
        attempt()
    result = attempt()

    assert (result.status, result.amount) == (ProviderStatus.CAPTURED, 12_000)
    refund_all = case.provider.refund(
        provider_key=result.provider_key, amount=12_000, reason="환불", idempotency_key="r1"
    )
    assert refund_all.status == ProviderStatus.REFUNDED  # captured exactly once

