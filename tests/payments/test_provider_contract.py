"""The provider interface's contract, run against the sandbox and the Toss adapter (the
latter talking to the local Toss API)."""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from dangol.payments.errors import ProviderTimeout
from dangol.payments.fakes.toss import APPROVE, FakeToss
from dangol.payments.providers.base import PaymentProvider, ProviderResult, ProviderStatus
from dangol.payments.providers.sandbox import CARD_DECLINE, CARD_TIMEOUT, SandboxProvider
from dangol.payments.providers.toss import TossProvider

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
    return Case(
        provider=TossThroughWindow(
            request.getfixturevalue("toss"), request.getfixturevalue("toss_server")
        ),
        approve=APPROVE,
        decline="REJECT_CARD_COMPANY",
        decline_code="REJECT_CARD_COMPANY",
        lost_answer="lost",
    )


class TossThroughWindow:
    """The Toss adapter with the customer's payment window played first: `source` names a
    test card of the fake (or "lost": approved, and confirm's reply is lost); authorize gets
    the paymentKey the window returns for that order, once per (card, order)."""

    name = "toss"

    def __init__(self, toss: TossProvider, server: FakeToss) -> None:
        self.toss, self.server = toss, server
        self.keys: dict[tuple[str, str], str] = {}

    def authorize(
        self, *, source: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderResult:
        if (source, order_id) not in self.keys:
            card = APPROVE if source == "lost" else source
            self.keys[source, order_id] = self.server.window(order_id, amount, card=card)
            if source == "lost":
                self.server.time_out_next()
        return self.toss.authorize(
            source=self.keys[source, order_id], order_id=order_id, amount=amount,
            idempotency_key=idempotency_key,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.toss, name)


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



def test_lookup_reports_what_the_provider_still_holds(case: Case) -> None:
    order, captured = _charge(case, source=case.approve, amount=9_000, key="k")
    case.provider.refund(
        provider_key=captured.provider_key, amount=4_000, reason="환불", idempotency_key="r1"
    )

    by_key = case.provider.lookup(provider_key=captured.provider_key, order_id=order)
    by_order = case.provider.lookup(provider_key="", order_id=order)
    unknown = case.provider.lookup(provider_key="", order_id=case.order())

    assert (by_key.status, by_key.amount) == (ProviderStatus.PARTIALLY_REFUNDED, 5_000)
    assert (by_order.status, by_order.amount) == (ProviderStatus.PARTIALLY_REFUNDED, 5_000)
    assert (unknown.status, unknown.error_code) == (ProviderStatus.FAILED, "NOT_FOUND_PAYMENT")
