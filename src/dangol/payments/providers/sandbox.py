"""The built-in sandbox provider: deterministic answers chosen by test card numbers.

| card                | authorize                                            |
|---------------------|------------------------------------------------------|
| 4000-0000-0000-0002 | approved                                             |
| 4000-0000-0000-0069 | declined, INSUFFICIENT_FUNDS (잔액 부족)             |
| 4000-0000-0000-0119 | authorized, but the answer is lost: ProviderTimeout  |
| any other number    | declined, INVALID_CARD                               |

The timeout card behaves like a real lost reply: the sandbox books the authorization, waits
`PAYMENTS_SANDBOX_TIMEOUT_SECONDS` and raises ProviderTimeout. Nothing is captured. Repeating
the call with the same idempotency key returns the booked authorization at once.

State lives in the database (SandboxCharge, SandboxRequest), so answers survive restarts and
a key repeated from another process returns the same first answer.
"""

import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dangol.payments.errors import ProviderError, ProviderTimeout
from dangol.payments.models import SandboxCharge, SandboxRequest
from dangol.payments.providers.base import ProviderResult, ProviderStatus

CARD_APPROVE = "4000000000000002"
CARD_DECLINE = "4000000000000069"
CARD_TIMEOUT = "4000000000000119"


def sandbox_cards() -> list[tuple[str, str]]:
    """Return the test cards (number, what the sandbox answers) that a payment page shows
    as a hint: only when the sandbox is the configured provider, in the demo and in tests."""
    if settings.PAYMENTS_PROVIDER != "sandbox" or not (settings.DEMO or settings.TESTING):
        return []
    return [
        (CARD_APPROVE, _("승인")),
        (CARD_DECLINE, _("거절 (잔액 부족)")),
        (CARD_TIMEOUT, _("응답 없음 (시간 초과)")),
    ]


def _card_digits(source: str) -> str:
    return re.sub(r"[\s-]", "", source)


class SandboxProvider:
    """The sandbox provider (see the module docstring for its test cards)."""

    name: ClassVar[str] = "sandbox"

    def __init__(self, *, timeout_seconds: float | None = None) -> None:
        self.timeout_seconds = (
            settings.PAYMENTS_SANDBOX_TIMEOUT_SECONDS if timeout_seconds is None
            else timeout_seconds
        )

    # --- the interface ----------------------------------------------------------------------

    def authorize(
        self, *, source: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderResult:
        card = _card_digits(source)
        result, first = self._once(
            "authorize",
            idempotency_key,
            {"card": card, "order_id": order_id, "amount": amount},
            lambda: self._authorize(card=card, order_id=order_id, amount=amount),
        )
        if first and card == CARD_TIMEOUT:
            time.sleep(self.timeout_seconds)
            raise ProviderTimeout(message=_("샌드박스 시간 초과 카드입니다."))
        return result

    def capture(
        self, *, provider_key: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderResult:
        def run() -> tuple[ProviderResult, SandboxCharge | None]:
            charge = self._charge(provider_key)
            if charge is None:
                return self._not_found(provider_key), None
            if charge.status != SandboxCharge.Status.AUTHORIZED:
                return self._failed(
                    provider_key, "NOT_CAPTURABLE", _("매입할 수 없는 상태의 결제입니다.")
                ), charge
            if amount != charge.amount or order_id != charge.order_id:
                return self._failed(
                    provider_key, "NOT_MATCHES_AMOUNT", _("승인 금액과 요청 금액이 다릅니다.")
                ), charge
            charge.status = SandboxCharge.Status.CAPTURED
            charge.save(update_fields=["status", "updated_at"])
            return self._answer(charge, ProviderStatus.CAPTURED, amount), charge

        result, _first = self._once(
            "capture",
            idempotency_key,
            {"key": provider_key, "order_id": order_id, "amount": amount},
            run,
        )
        return result

    def cancel(self, *, provider_key: str, reason: str, idempotency_key: str) -> ProviderResult:
        def run() -> tuple[ProviderResult, SandboxCharge | None]:
            charge = self._charge(provider_key)
            if charge is None:
                return self._not_found(provider_key), None
            if charge.status != SandboxCharge.Status.AUTHORIZED:
                return self._failed(
                    provider_key, "NOT_CANCELABLE_PAYMENT", _("승인 취소할 수 없는 결제입니다.")
                ), charge
            charge.status = SandboxCharge.Status.CANCELLED
            charge.save(update_fields=["status", "updated_at"])
            return self._answer(charge, ProviderStatus.CANCELLED, charge.amount), charge

        result, _first = self._once("cancel", idempotency_key, {"key": provider_key}, run)
        return result

    def refund(
        self, *, provider_key: str, amount: int, reason: str, idempotency_key: str
    ) -> ProviderResult:
        def run() -> tuple[ProviderResult, SandboxCharge | None]:
            charge = self._charge(provider_key)
            if charge is None:
                return self._not_found(provider_key), None
            refundable = {SandboxCharge.Status.CAPTURED, SandboxCharge.Status.PARTIALLY_REFUNDED}
            if charge.status not in refundable:
                return self._failed(
                    provider_key, "NOT_CANCELABLE_PAYMENT", _("환불할 수 없는 결제입니다.")
                ), charge
            if amount <= 0 or amount > charge.amount - charge.refunded_amount:
                return self._failed(
                    provider_key, "NOT_CANCELABLE_AMOUNT", _("환불 가능한 금액을 넘었습니다.")
                ), charge
            charge.refunded_amount += amount
            charge.status = (
                SandboxCharge.Status.REFUNDED
                if charge.refunded_amount == charge.amount
                else SandboxCharge.Status.PARTIALLY_REFUNDED
            )
            charge.save(update_fields=["refunded_amount", "status", "updated_at"])
            return self._answer(charge, ProviderStatus(charge.status), amount), charge

        result, _first = self._once(
            "refund", idempotency_key, {"key": provider_key, "amount": amount}, run
        )
        return result

    def lookup(self, *, provider_key: str, order_id: str) -> ProviderResult:
        charges = SandboxCharge.objects.all()
        if provider_key:
            charge = charges.filter(key=provider_key).first()
        else:
            charge = charges.filter(order_id=order_id).order_by("-id").first()
        if charge is None:
            return self._not_found(provider_key)
        return self._answer(
            charge, ProviderStatus(charge.status), charge.amount - charge.refunded_amount
        )

    # --- helpers ----------------------------------------------------------------------------

    def _authorize(
        self, *, card: str, order_id: str, amount: int
    ) -> tuple[ProviderResult, SandboxCharge | None]:
        if card == CARD_DECLINE:
            return self._failed("", "INSUFFICIENT_FUNDS", _("잔액이 부족합니다.")), None
        if card not in {CARD_APPROVE, CARD_TIMEOUT}:
            return self._failed("", "INVALID_CARD", _("등록되지 않은 테스트 카드입니다.")), None
        if amount <= 0:
            return self._failed("", "INVALID_AMOUNT", _("결제 금액이 올바르지 않습니다.")), None
        charge = SandboxCharge.objects.create(
            key=f"sbx_{secrets.token_hex(12)}",
            order_id=order_id,
            card_last4=card[-4:],
            amount=amount,
            status=SandboxCharge.Status.AUTHORIZED,
        )
        return self._answer(charge, ProviderStatus.AUTHORIZED, amount), charge

    def _once(
        self,
        operation: str,
        idempotency_key: str,
        request: dict[str, Any],
        run: Callable[[], tuple[ProviderResult, SandboxCharge | None]],
    ) -> tuple[ProviderResult, bool]:
        """Return the first answer to `idempotency_key` and whether this call gave it.

        Run `run` and book its answer in one transaction under the key; a concurrent call
        with the same key loses on the unique key and reads the winner's answer. Raise
        ProviderError if the key was first used for a different request.
        """
        fingerprint = hashlib.sha256(
            json.dumps([operation, request], sort_keys=True).encode()
        ).hexdigest()
        stored = SandboxRequest.objects.filter(idempotency_key=idempotency_key).first()
        if stored is None:
            try:
                with transaction.atomic():
                    result, charge = run()
                    SandboxRequest.objects.create(
                        idempotency_key=idempotency_key,
                        operation=operation,
                        fingerprint=fingerprint,
                        charge=charge,
                        response=result.to_json(),
                    )
            except IntegrityError:
                stored = SandboxRequest.objects.get(idempotency_key=idempotency_key)
            else:
                return result, True
        if stored.fingerprint != fingerprint:
            raise ProviderError(
                provider_code="IDEMPOTENCY_KEY_REUSED",
                message=_("같은 멱등성 키로 다른 요청을 보냈습니다."),
            )
        return ProviderResult.from_json(stored.response), False

    @staticmethod
    def _charge(provider_key: str) -> SandboxCharge | None:
        return SandboxCharge.objects.select_for_update().filter(key=provider_key).first()

    @staticmethod
    def _answer(charge: SandboxCharge, status: ProviderStatus, amount: int) -> ProviderResult:
        return ProviderResult(
            status=status,
            provider_key=charge.key,
            amount=amount,
            raw={
                "key": charge.key,
                "orderId": charge.order_id,
                "status": charge.status,
                "totalAmount": charge.amount,
                "balanceAmount": charge.amount - charge.refunded_amount,
                "cardLast4": charge.card_last4,
            },
        )

    @classmethod
    def _not_found(cls, provider_key: str) -> ProviderResult:
        return cls._failed(provider_key, "NOT_FOUND_PAYMENT", _("결제를 찾을 수 없습니다."))

    @staticmethod
    def _failed(provider_key: str, code: str, message: str) -> ProviderResult:
        return ProviderResult(
            status=ProviderStatus.FAILED,
            provider_key=provider_key,
            amount=0,
            raw={"code": code, "message": message},
            error_code=code,
            error_message=message,
        )
