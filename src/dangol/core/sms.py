"""The SMS channel: one interface for one-time codes (accounts) and messages (messaging).

`sms_channel()` returns the channel named by settings.DANGOL_SMS_BACKEND (SMS_BACKEND):
`dangol.core.sms.OutboxSmsChannel`, the development default, keeps each message in the
outbox shown at /dev/outbox/ in the demo; `dangol.core.sms.NhnCloudSms` sends through NHN
Cloud Notification SMS, API v3.0, standard library only. Outside the demo the outbox is
refused at start-up (dangol.core.checks). No channel logs a message's text or a full number.

NHN Cloud SMS v3.0. Reference: https://docs.nhncloud.com/ko/Notification/SMS/ko/api-guide/
(SMS API v3.0; the request model is mirrored in the client at
https://github.com/lkaybob/toast-cloud-sms-php/blob/HEAD/docs/Model/SmsBody.md).

- SMS (≤ 90 EUC-KR bytes): POST {base}/sms/v3.0/appKeys/{appKey}/sender/sms
  body {"body", "sendNo", "recipientList": [{"recipientNo", "recipientGroupingKey"}],
  "senderGroupingKey"}.
- LMS (≤ 2,000 bytes, with a title): POST {base}/sms/v3.0/appKeys/{appKey}/sender/mms
  body as above plus "title".
- Auth: the app key is in the path and the secret key in the `X-Secret-Key` header;
  Content-Type application/json;charset=UTF-8.
- Answer: {"header": {"isSuccessful", "resultCode", "resultMessage"}, "body": {"data":
  {"requestId", "statusCode", "senderGroupingKey", "sendResultList": [{"recipientNo",
  "resultCode", "resultMessage", "recipientSeq", "recipientGroupingKey"}]}}}. The provider
  id we keep is "<requestId>:<recipientSeq>".

Idempotency key: NHN Cloud has no idempotency header; its request carries two free keys kept
with the message and searchable in its lookup API, `senderGroupingKey` (per request) and
`recipientGroupingKey` (per recipient). The adapter sends the caller's key (a Delivery's
"delivery-123", a one-time code's "otp-45") in both and sends one recipient per request, so
a request and a delivery are the same thing for the provider. Our local test server
(tests/messaging/sms_server.py) treats a repeated `senderGroupingKey` as already accepted
(answers success, delivers once), as the issue assumes of the real provider; the dispatcher
itself never resends a row it has recorded as sent, so repeats happen only for a request
whose answer was lost (a timeout, a killed worker).

Settings (environment): SMS_API_URL → DANGOL_SMS_API_URL (default
https://api-sms.cloud.toast.com), SMS_API_KEY → DANGOL_SMS_API_KEY (the app key),
SMS_API_SECRET → DANGOL_SMS_API_SECRET (the secret key), SMS_SENDER → DANGOL_SMS_SENDER
(the registered 발신번호), DANGOL_SMS_TIMEOUT_SECONDS (default 5).

Results: `SmsResult(accepted, provider_id, error, retryable)`. Timeouts, lost connections,
HTTP 429/5xx and an answer that is not JSON are retryable (outcome unknown: repeat with the
same key); a refused request (isSuccessful false, e.g. an invalid number or an unregistered
sender number) or a recipient result code ≠ 0 is not; a wrong secret key (HTTP 401/403)
is not retryable either and is reported as such.
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from dangol.core.phone import phone_mask

logger = logging.getLogger("dangol.sms")

DEFAULT_API_URL = "https://api-sms.cloud.toast.com"
LMS_TITLE_MAX_BYTES = 40


@dataclass(frozen=True)
class SmsResult:
    """What the channel answered for one message: its id, or the error and whether sending
    again with the same key may succeed (the outcome is unknown)."""

    accepted: bool
    provider_id: str = ""
    error: str = ""
    retryable: bool = False


class SmsChannel(Protocol):
    """Send one SMS (`kind` "sms") or LMS ("lms", with `title`); `idempotency_key` is the same
    on every retry of one message."""

    name: str

    def send(
        self, *, to: str, body: str, idempotency_key: str, kind: str = "sms", title: str = ""
    ) -> SmsResult: ...


def national_number(phone: str) -> str:
    """Return a Korean number as NHN wants it: digits only, national form (01012345678)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+82") or (digits.startswith("82") and len(digits) >= 11):
        digits = "0" + digits[2:]
    return digits


def _clip_euc_kr(text: str, limit: int) -> str:
    out = ""
    for ch in text:
        if len((out + ch).encode("euc-kr", errors="replace")) > limit:
            break
        out += ch
    return out


class NhnCloudSms:
    """NHN Cloud SMS v3.0 (see the module docstring)."""

    name: ClassVar[str] = "nhn"

    def __init__(
        self,
        *,
        api_url: str | None = None,
        app_key: str | None = None,
        secret_key: str | None = None,
        sender: str | None = None,
        timeout_seconds: float | None = None,
    ) -> None:
        self.api_url = (
            api_url if api_url is not None
            else getattr(settings, "DANGOL_SMS_API_URL", "") or DEFAULT_API_URL
        ).rstrip("/")
        self.app_key = app_key if app_key is not None else settings.DANGOL_SMS_API_KEY
        self.secret_key = (
            secret_key if secret_key is not None else settings.DANGOL_SMS_API_SECRET
        )
        self.sender = national_number(
            sender if sender is not None else settings.DANGOL_SMS_SENDER
        )
        self.timeout_seconds = float(
            timeout_seconds if timeout_seconds is not None
            else getattr(settings, "DANGOL_SMS_TIMEOUT_SECONDS", 5)
        )
        if urllib.parse.urlsplit(self.api_url).scheme not in {"http", "https"}:
            raise ValueError("SMS_API_URL must be an http(s) URL")
        if not self.app_key or not self.secret_key or not self.sender:
            raise ValueError("SMS_API_KEY, SMS_API_SECRET and SMS_SENDER must be set")

    def send(
        self, *, to: str, body: str, idempotency_key: str, kind: str = "sms", title: str = ""
    ) -> SmsResult:
        """Send one message to one recipient; `kind` is "sms" or "lms"."""
        if kind not in {"sms", "lms"}:
            raise ValueError(f"unknown SMS kind {kind!r}")
        payload: dict[str, Any] = {
            "body": body,
            "sendNo": self.sender,
            "recipientList": [
                {"recipientNo": national_number(to), "recipientGroupingKey": idempotency_key}
            ],
            "senderGroupingKey": idempotency_key,
        }
        if kind == "lms":
            payload["title"] = _clip_euc_kr(title or body.split("\n", 1)[0], LMS_TITLE_MAX_BYTES)
        endpoint = "sms" if kind == "sms" else "mms"
        path = f"/sms/v3.0/appKeys/{urllib.parse.quote(self.app_key, safe='')}/sender/{endpoint}"
        return self._post(path, payload)

    def _post(self, path: str, payload: dict[str, Any]) -> SmsResult:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.api_url + path,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json;charset=UTF-8",
                "X-Secret-Key": self.secret_key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except TimeoutError:
            return SmsResult(accepted=False, error="timeout", retryable=True)
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            return SmsResult(accepted=False, error=f"connection: {exc}"[:300], retryable=True)
        if status in {401, 403}:
            return SmsResult(accepted=False, error=f"HTTP {status}: unauthorised", retryable=False)
        if status == 429 or status >= 500:
            return SmsResult(accepted=False, error=f"HTTP {status}", retryable=True)
        try:
            answer = json.loads(raw)
            header = answer["header"]
        except (ValueError, KeyError, TypeError):
            return SmsResult(
                accepted=False, error=f"HTTP {status}: not an NHN answer", retryable=True
            )
        if not header.get("isSuccessful"):
            return SmsResult(
                accepted=False,
                error=f"{header.get('resultCode')}: {header.get('resultMessage', '')}"[:300],
                retryable=False,
            )
        data = (answer.get("body") or {}).get("data") or {}
        results = data.get("sendResultList") or []
        first = results[0] if results else {}
        if first.get("resultCode", 0) != 0:
            return SmsResult(
                accepted=False,
                error=f"{first.get('resultCode')}: {first.get('resultMessage', '')}"[:300],
                retryable=False,
            )
        provider_id = f"{data.get('requestId', '')}:{first.get('recipientSeq', 1)}"
        return SmsResult(accepted=True, provider_id=provider_id[:100])


class OutboxSmsChannel:
    """Keep the message in the development outbox; sends nothing anywhere. The log names the
    masked number only: the text may hold a one-time code."""

    name: ClassVar[str] = "outbox"

    def send(
        self, *, to: str, body: str, idempotency_key: str, kind: str = "sms", title: str = ""
    ) -> SmsResult:
        from dangol.core.models import OutboxMessage

        message, created = OutboxMessage.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={"channel": OutboxMessage.Channel.SMS, "recipient": to, "body": body},
        )
        if created:
            logger.info("SMS to %s kept in the outbox (#%s)", phone_mask(to), message.pk)
        return SmsResult(accepted=True, provider_id=f"outbox-{message.pk}")


def sms_channel() -> SmsChannel:
    """Return the configured SMS channel (settings.DANGOL_SMS_BACKEND)."""
    channel: SmsChannel = import_string(settings.DANGOL_SMS_BACKEND)()
    return channel
