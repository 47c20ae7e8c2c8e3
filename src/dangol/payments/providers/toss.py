"""Toss Payments adapter (https://docs.tosspayments.com/reference), standard library only.

Toss has no separate authorization step. The customer authenticates the card in Toss's
payment window, which returns a `paymentKey` to our success URL; nothing is charged until we
call confirm (결제 승인), which approves and captures in one call. The adapter maps that
honestly onto the four-step interface:

- `authorize(source=paymentKey)` makes no call: it records the window's paymentKey as the
  provider key and answers AUTHORIZED. The charge is decided at capture.
- `capture` calls confirm: POST {base}/v1/payments/confirm {paymentKey, orderId, amount}.
  A decline (a card company's refusal, a wrong amount) comes back here, as FAILED.
- `cancel` (release before capture) makes no call either: an unconfirmed payment is never
  charged and Toss lets it expire (EXPIRED). It answers CANCELLED.
- `refund` calls cancel: POST {base}/v1/payments/{paymentKey}/cancel
  {cancelReason, cancelAmount}. A partial amount leaves the payment PARTIAL_CANCELED.

Requests carry Basic auth with base64(secretKey + ":") and an `Idempotency-Key` header, so
Toss answers a repeated key with its stored first response. Error bodies {code, message}
become FAILED results; 401/403 (bad key) become ProviderError; timeouts, lost connections,
5xx and IDEMPOTENT_REQUEST_PROCESSING become ProviderTimeout (outcome unknown: repeat with
the same key).
"""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext as _

from dangol.payments.errors import ProviderError, ProviderTimeout
from dangol.payments.providers.base import ProviderResult, ProviderStatus

TOSS_STATUSES = {
    "READY": ProviderStatus.AUTHORIZED,
    "IN_PROGRESS": ProviderStatus.AUTHORIZED,
    "WAITING_FOR_DEPOSIT": ProviderStatus.AUTHORIZED,
    "DONE": ProviderStatus.CAPTURED,
    # Every Toss cancel follows a confirm, so money went back: a refund in our words.
    "CANCELED": ProviderStatus.REFUNDED,
    "PARTIAL_CANCELED": ProviderStatus.PARTIALLY_REFUNDED,
    "ABORTED": ProviderStatus.FAILED,
    "EXPIRED": ProviderStatus.FAILED,
}

# Codes meaning "your earlier request with this key is still running": ask again later.
IN_FLIGHT_CODES = {"IDEMPOTENT_REQUEST_PROCESSING", "FAILED_INTERNAL_SYSTEM_PROCESSING"}


class TossProvider:
    """Toss Payments (see the module docstring for how its calls map to the interface)."""

    name: ClassVar[str] = "toss"

    def __init__(
        self,
        *,
        secret_key: str | None = None,
        api_base: str | None = None,
        timeout_seconds: float | None = None,
    ) -> None:
        self.secret_key = settings.TOSS_SECRET_KEY if secret_key is None else secret_key
        self.api_base = (settings.TOSS_API_BASE if api_base is None else api_base).rstrip("/")
        self.timeout_seconds = (
            settings.TOSS_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
        )
        if urllib.parse.urlsplit(self.api_base).scheme not in {"http", "https"}:
            raise ValueError("TOSS_API_BASE must be an http(s) URL")

    # --- the interface ----------------------------------------------------------------------

    def authorize(
        self, *, source: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderResult:
        return ProviderResult(
            status=ProviderStatus.AUTHORIZED,
            provider_key=source,
            amount=amount,
            raw={"paymentKey": source, "orderId": order_id, "amount": amount},
        )

    def capture(
        self, *, provider_key: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderResult:
        body = {"paymentKey": provider_key, "orderId": order_id, "amount": amount}
        status, data = self._post("/v1/payments/confirm", body, idempotency_key)
        if status >= 400:
            return self._failed(provider_key, data)
        return self._result(data, provider_key, amount=int(data.get("totalAmount", amount)))

    def cancel(self, *, provider_key: str, reason: str, idempotency_key: str) -> ProviderResult:
        return ProviderResult(
            status=ProviderStatus.CANCELLED,
            provider_key=provider_key,
            amount=0,
            raw={"paymentKey": provider_key, "note": "not confirmed; Toss lets it expire"},
        )

    def refund(
        self, *, provider_key: str, amount: int, reason: str, idempotency_key: str
    ) -> ProviderResult:
        path = f"/v1/payments/{urllib.parse.quote(provider_key, safe='')}/cancel"
        body = {"cancelReason": reason or _("고객 요청"), "cancelAmount": amount}
        status, data = self._post(path, body, idempotency_key)
        if status >= 400:
            return self._failed(provider_key, data)
        cancels = data.get("cancels") or []
        refunded = int(cancels[-1].get("cancelAmount", amount)) if cancels else amount
        return self._result(data, provider_key, amount=refunded)

    # --- HTTP ---------------------------------------------------------------------------------

    def _post(
        self, path: str, body: dict[str, Any], idempotency_key: str
    ) -> tuple[int, dict[str, Any]]:
        """POST `body` as JSON; return (HTTP status, decoded JSON body).

        Raise ProviderTimeout when the outcome is unknown and ProviderError on bad credentials
        or a body that is not Toss's JSON.
        """
        token = base64.b64encode(f"{self.secret_key}:".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.api_base + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": idempotency_key,
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310 - scheme checked in __init__
                request, timeout=self.timeout_seconds
            ) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        except (TimeoutError, ConnectionError) as error:
            raise ProviderTimeout(message=str(error)) from error
        except urllib.error.URLError as error:
            raise ProviderTimeout(message=str(error.reason)) from error
        data = self._decode(status, payload)
        code = str(data.get("code", ""))
        if status >= 500 or code in IN_FLIGHT_CODES:
            raise ProviderTimeout(
                provider_code=code or f"HTTP_{status}", message=str(data.get("message", ""))
            )
        if status in {401, 403}:
            raise ProviderError(
                provider_code=code or "UNAUTHORIZED_KEY", message=str(data.get("message", ""))
            )
        return status, data

    @staticmethod
    def _decode(status: int, payload: bytes) -> dict[str, Any]:
        try:
            data = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            if status >= 500:
                raise ProviderTimeout(provider_code=f"HTTP_{status}") from error
            raise ProviderError(
                provider_code="INVALID_RESPONSE", message=_("응답을 해석할 수 없습니다.")
            ) from error
        if not isinstance(data, dict):
            raise ProviderError(
                provider_code="INVALID_RESPONSE", message=_("응답을 해석할 수 없습니다.")
            )
        return data

    @staticmethod
    def _result(data: dict[str, Any], provider_key: str, *, amount: int) -> ProviderResult:
        toss_status = str(data.get("status", ""))
        if toss_status not in TOSS_STATUSES:
            raise ProviderError(
                provider_code="UNKNOWN_STATUS",
                message=_("알 수 없는 결제 상태입니다: %(status)s") % {"status": toss_status},
            )
        status = TOSS_STATUSES[toss_status]
        failure = (
            {"error_code": toss_status, "error_message": _("결제가 완료되지 않았습니다.")}
            if status == ProviderStatus.FAILED
            else {}
        )
        return ProviderResult(
            status=status,
            provider_key=str(data.get("paymentKey", provider_key)),
            amount=amount if status != ProviderStatus.FAILED else 0,
            raw=data,
            **failure,
        )

    @staticmethod
    def _failed(provider_key: str, data: dict[str, Any]) -> ProviderResult:
        return ProviderResult(
            status=ProviderStatus.FAILED,
            provider_key=provider_key,
            amount=0,
            raw=data,
            error_code=str(data.get("code", "UNKNOWN")),
            error_message=str(data.get("message", "")),
        )
