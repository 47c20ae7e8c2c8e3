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

- `lookup` asks Toss what it holds: GET {base}/v1/payments/{paymentKey}, or
  GET {base}/v1/payments/orders/{orderId} when no paymentKey is known. Its `amount` is what
  Toss still holds (balanceAmount).

Requests carry Basic auth with base64(secretKey + ":") and an `Idempotency-Key` header, so
Toss answers a repeated key with its stored first response (for 15 days). Outcomes, as Toss
documents them (API & SDK / 에러 코드):

- a documented 4xx decline (REJECT_CARD_COMPANY, FDS_ERROR, INVALID_PASSWORD, …, HTTP 403
  or 400) is a FAILED result with Toss's code and a Korean reason (DECLINE_MESSAGES);
- only key and configuration errors (HTTP 401, CONFIG_CODES) are ProviderError;
- PROVIDER_ERROR (temporary) is retried with the same key after TOSS_RETRY_DELAYS; if it
  outlasts them the outcome is unknown (ProviderTimeout);
- ALREADY_PROCESSED_PAYMENT on confirm (a repeat under a new key, or under a key Toss has
  forgotten after 15 days) is answered by fetching the payment: its real status is returned;
- timeouts, lost connections, 5xx and IDEMPOTENT_REQUEST_PROCESSING are ProviderTimeout
  (outcome unknown: `lookup`, or repeat with the same key).
"""

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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

# What the customer is told for each documented decline of the confirm API (Toss's code →
# our Korean text, translated). A code not listed here shows Toss's own message.
DECLINE_MESSAGES = {
    "REJECT_CARD_PAYMENT": gettext_lazy("한도 초과 또는 잔액 부족으로 결제가 거절되었습니다."),
    "REJECT_CARD_COMPANY": gettext_lazy("카드사에서 결제를 거절했습니다. 카드사에 문의해 주세요."),
    "FDS_ERROR": gettext_lazy("위험 거래로 감지되어 결제가 제한되었습니다."),
    "INVALID_PASSWORD": gettext_lazy("결제 비밀번호가 일치하지 않습니다."),
    "EXCEED_MAX_DAILY_PAYMENT_COUNT": gettext_lazy("하루 결제 가능 횟수를 넘었습니다."),
    "EXCEED_MAX_ONE_DAY_AMOUNT": gettext_lazy("하루 결제 한도를 넘었습니다."),
    "INVALID_REJECT_CARD": gettext_lazy("카드 사용이 거절되었습니다. 카드사에 문의해 주세요."),
    "INVALID_STOPPED_CARD": gettext_lazy("정지된 카드입니다."),
    "INVALID_CARD_EXPIRATION": gettext_lazy("카드 유효기간을 다시 확인해 주세요."),
    "INVALID_CARD_COMPANY": gettext_lazy("사용할 수 없는 카드입니다."),
    "NOT_FOUND_PAYMENT_SESSION": gettext_lazy(
        "결제 시간이 지났습니다. 처음부터 다시 결제해 주세요."
    ),
}

# Answers about our keys or contract, not about the customer's card: repeating will not help.
CONFIG_CODES = {
    "UNAUTHORIZED_KEY",
    "INVALID_API_KEY",
    "INCORRECT_BASIC_AUTH_FORMAT",
    "FORBIDDEN_REQUEST",
    "INVALID_AUTHORIZE_AUTH",
    "NOT_REGISTERED_BUSINESS",
    "NOT_SUPPORTED_METHOD",
    "UNAPPROVED_ORDER_ID",
}

# What Toss holds for a payment that was confirmed (whatever was refunded since).
CONFIRMED = {
    ProviderStatus.CAPTURED,
    ProviderStatus.PARTIALLY_REFUNDED,
    ProviderStatus.REFUNDED,
}

TEMPORARY_CODE = "PROVIDER_ERROR"
ALREADY_PROCESSED_CODE = "ALREADY_PROCESSED_PAYMENT"

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
        self.retry_delays = tuple(settings.TOSS_RETRY_DELAYS)
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
        if status >= 400 and data.get("code") == ALREADY_PROCESSED_CODE:
            found = self.lookup(provider_key=provider_key, order_id=order_id)
            if found.status in CONFIRMED and int(found.raw.get("totalAmount", 0)) == amount:
                # Confirmed earlier (refunds since do not undo the capture).
                return ProviderResult(
                    status=ProviderStatus.CAPTURED, provider_key=found.provider_key,
                    amount=amount, raw=found.raw,
                )
            if found.status == ProviderStatus.FAILED and found.error_code != "NOT_FOUND_PAYMENT":
                return found
            return self._failed(provider_key, data)
        if status >= 400:
            return self._failed(provider_key, data)
        return self._result(data, provider_key, amount=int(data.get("totalAmount", amount)))

    def lookup(self, *, provider_key: str, order_id: str) -> ProviderResult:
        """Return what Toss holds for the payment (by paymentKey, else by orderId): its status,
        and as `amount` the won Toss still holds (FAILED NOT_FOUND_PAYMENT if none)."""
        if provider_key:
            path = f"/v1/payments/{urllib.parse.quote(provider_key, safe='')}"
        else:
            path = f"/v1/payments/orders/{urllib.parse.quote(order_id, safe='')}"
        status, data = self._send("GET", path, None, "")
        if status >= 400:
            return self._failed(provider_key, data)
        result = self._result(data, provider_key, amount=int(data.get("balanceAmount", 0)))
        failure = data.get("failure")
        if result.status == ProviderStatus.FAILED and isinstance(failure, dict):
            return self._failed(result.provider_key, {**data, **failure})
        return result

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
        """POST `body` as JSON; return (HTTP status, decoded JSON body). Retry PROVIDER_ERROR
        with the same key after each of TOSS_RETRY_DELAYS seconds.

        Raise ProviderTimeout when the outcome is unknown and ProviderError on bad credentials
        or a body that is not Toss's JSON.
        """
        for delay in (*self.retry_delays, None):
            status, data = self._send("POST", path, body, idempotency_key)
            if data.get("code") != TEMPORARY_CODE:
                return status, data
            if delay is None:
                break
            time.sleep(delay)
        raise ProviderTimeout(provider_code=TEMPORARY_CODE, message=str(data.get("message", "")))

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, idempotency_key: str
    ) -> tuple[int, dict[str, Any]]:
        """Send one request; return (HTTP status, decoded JSON body). Raise as `_post`."""
        token = base64.b64encode(f"{self.secret_key}:".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.api_base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers=headers,
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
        if status == 401 or code in CONFIG_CODES:
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
        code = str(data.get("code", "UNKNOWN"))
        known = DECLINE_MESSAGES.get(code)
        return ProviderResult(
            status=ProviderStatus.FAILED,
            provider_key=provider_key,
            amount=0,
            raw=data,
            error_code=code,
            error_message=str(known) if known else str(data.get("message", "")),
        )
