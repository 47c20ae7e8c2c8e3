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
a request and a delivery are the same thing for the provider. NHN does NOT de-duplicate on
these keys: a request sent twice is delivered twice. So a send marked `retry=True` (the
caller tried before and never learned the answer: a timeout, a killed worker) first looks
the key up and, if the provider has it, answers with that request instead of sending again.
The fake server (dangol.core.fakes.nhn_sms) behaves the same way.

Routes by purpose: a one-time code (`kind` "code") goes to …/sender/auth/sms, the provider's
priority route for authentication messages; an ad (`ad=True`) to …/sender/ad-sms or
…/sender/ad-mms, which refuse (-6003) a text that does not begin with "(광고)" and end with
the line "무료수신거부 <the free 080 number>" (the caller renders it: messaging.rules).

Text: every message goes out as `sms_safe_text` makes it — the one function the composer's
byte count uses too — so "₩" never reaches the provider ("₩12,000" → "12,000원").

Lookups: GET …/sender/sms (…/sender/mms) ?senderGroupingKey=… lists the recipients of the
requests sent with that key and their delivery status (`msgStatus` "3" delivered, "4"
failed, "1"/"2" pending; `resultCode`). The 080 block list: GET …/blockservice/recipients
?startUpdateDate=… (numbers that called the 080 number since then), POST the same path with
{"unsubscribeNo", "recipientNoList"} (numbers that opted out in dangol).

Settings (environment): SMS_API_URL → DANGOL_SMS_API_URL (default
https://sms.api.nhncloudservice.com, where the documentation moved in 2026), SMS_API_KEY →
DANGOL_SMS_API_KEY (the app key), SMS_API_SECRET → DANGOL_SMS_API_SECRET (the secret key),
SMS_SENDER → DANGOL_SMS_SENDER (the registered 발신번호), SMS_OPT_OUT_080 →
DANGOL_SMS_OPT_OUT_080 (the free 080 opt-out number registered with NHN, needed for ads),
DANGOL_SMS_TIMEOUT_SECONDS (default 5).

Results: `SmsResult(accepted, provider_id, error, retryable, quota_exhausted)`. Timeouts,
lost connections, HTTP 429/5xx, an answer that is not JSON and the provider's temporary
errors (-9999 system error, -2021 system error in sending) are retryable (repeat with the
same key, `retry=True`); -2052 (the month's sending quota is used up) is retryable and
`quota_exhausted` (the caller pauses the channel); any other refusal (isSuccessful false,
e.g. -2019 an invalid number, -2312 an unregistered sender number, -6003 an ad without its
080 line) or a recipient result code ≠ 0 is final; a wrong secret key (HTTP 401/403) is
final too and reported as such.
"""

import datetime as dt
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from dangol.core.phone import phone_mask

logger = logging.getLogger("dangol.sms")

DEFAULT_API_URL = "https://sms.api.nhncloudservice.com"
LMS_TITLE_MAX_BYTES = 40
RETRYABLE_CODES = frozenset({-9999, -2021})
QUOTA_EXHAUSTED_CODE = -2052
KST = dt.timezone(dt.timedelta(hours=9))
NHN_TIME = "%Y-%m-%d %H:%M:%S"


# --- the text a carrier takes ---------------------------------------------------------------

# Characters outside CP949 with a plain replacement; the won sign becomes the word 원.
_SMS_REPLACEMENTS = str.maketrans({
    "–": "-", "—": "-", "‒": "-", "\u00a0": " ", "\u200b": "", "\ufeff": "", "￦": "₩",
})
_WON_AMOUNT = re.compile(r"₩\s?([0-9][0-9,]*)")


def sms_safe_text(text: str) -> str:
    """Return `text` as it goes out by SMS/LMS, the one form both the composer's byte count
    and the sender use: line ends as '\\n', "₩12,000" as "12,000원" (and any other ₩ as 원:
    the won sign is not in EUC-KR), dashes and odd spaces plain, and any other character
    outside CP949 (EUC-KR with every Hangul syllable, as carriers count it; emoji) as '?'.
    `sms_unsendable` names those characters so that the composer can refuse them first."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_SMS_REPLACEMENTS)
    text = _WON_AMOUNT.sub(r"\1원", text).replace("₩", "원")
    return text.encode("cp949", errors="replace").decode("cp949")


def sms_unsendable(text: str) -> str:
    """Return the characters of `text` that no SMS can carry (after the replacements of
    `sms_safe_text`), each once, in order; "" if it can all be sent."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_SMS_REPLACEMENTS)
    text = text.replace("₩", "원")
    seen: list[str] = []
    for ch in text:
        if ch not in seen:
            try:
                ch.encode("cp949")
            except UnicodeEncodeError:
                seen.append(ch)
    return "".join(seen)


def sms_byte_count(text: str) -> int:
    """Return the bytes `text` takes as sent (CP949 of `sms_safe_text`)."""
    return len(sms_safe_text(text).encode("cp949"))


@dataclass(frozen=True)
class SmsResult:
    """What the channel answered for one message: its id, or the error and whether sending
    again with the same key may succeed (`quota_exhausted`: not before the channel's monthly
    quota is raised or renewed)."""

    accepted: bool
    provider_id: str = ""
    error: str = ""
    retryable: bool = False
    quota_exhausted: bool = False


@dataclass(frozen=True)
class SmsReport:
    """The delivery status of one sent message: "delivered", "failed" or "pending", with the
    provider's result code."""

    status: str
    code: str = ""


@dataclass(frozen=True)
class OptOut:
    """A number on the provider's 080 block list and when it got there."""

    phone: str
    at: dt.datetime


class SmsChannel(Protocol):
    """Send one SMS (`kind` "sms"), LMS ("lms", with `title`) or one-time code ("code");
    `ad` sends through the ad route; `idempotency_key` is the same on every retry of one
    message and `retry` says the caller may have sent it before."""

    name: str

    def send(
        self, *, to: str, body: str, idempotency_key: str, kind: str = "sms", title: str = "",
        ad: bool = False, retry: bool = False,
    ) -> SmsResult: ...

    def report(self, *, idempotency_key: str, kind: str = "sms") -> SmsReport | None: ...

    def opt_outs_since(self, since: dt.datetime) -> list[OptOut]: ...

    def opt_outs_add(self, phones: list[str]) -> bool: ...


def national_number(phone: str) -> str:
    """Return a Korean number as NHN wants it: digits only, national form (01012345678)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+82") or (digits.startswith("82") and len(digits) >= 11):
        digits = "0" + digits[2:]
    return digits


def _clip_euc_kr(text: str, limit: int) -> str:
    out = ""
    for ch in text:
        if len((out + ch).encode("cp949", errors="replace")) > limit:
            break
        out += ch
    return out


_ROUTES = {("sms", False): "sms", ("lms", False): "mms", ("code", False): "auth/sms",
           ("sms", True): "ad-sms", ("lms", True): "ad-mms"}
_MSG_STATUS = {"3": "delivered", "4": "failed", "0": "failed"}


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
        opt_out_080: str | None = None,
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
        self.opt_out_080 = national_number(
            opt_out_080 if opt_out_080 is not None
            else getattr(settings, "DANGOL_SMS_OPT_OUT_080", "")
        )
        self.timeout_seconds = float(
            timeout_seconds if timeout_seconds is not None
            else getattr(settings, "DANGOL_SMS_TIMEOUT_SECONDS", 5)
        )
        if urllib.parse.urlsplit(self.api_url).scheme not in {"http", "https"}:
            raise ValueError("SMS_API_URL must be an http(s) URL")
        if not self.app_key or not self.secret_key or not self.sender:
            raise ValueError("SMS_API_KEY, SMS_API_SECRET and SMS_SENDER must be set")

    def _path(self, route: str) -> str:
        return f"/sms/v3.0/appKeys/{urllib.parse.quote(self.app_key, safe='')}/{route}"

    def send(
        self, *, to: str, body: str, idempotency_key: str, kind: str = "sms", title: str = "",
        ad: bool = False, retry: bool = False,
    ) -> SmsResult:
        """Send one message to one recipient (see SmsChannel)."""
        route = _ROUTES.get((kind, ad))
        if route is None:
            raise ValueError(f"unknown SMS kind {kind!r} (ad={ad})")
        if retry:
            found = self._lookup(idempotency_key, kind)
            if found:
                # The first attempt reached the provider: sending again would deliver twice.
                return SmsResult(
                    accepted=True,
                    provider_id=f"{found.get('requestId', '')}:{found.get('recipientSeq', 1)}",
                )
        payload: dict[str, Any] = {
            "body": sms_safe_text(body),
            "sendNo": self.sender,
            "recipientList": [
                {"recipientNo": national_number(to), "recipientGroupingKey": idempotency_key}
            ],
            "senderGroupingKey": idempotency_key,
        }
        if kind == "lms":
            payload["title"] = _clip_euc_kr(
                sms_safe_text(title or body.split("\n", 1)[0]), LMS_TITLE_MAX_BYTES
            )
        return self._sent(*self._call("POST", self._path(f"sender/{route}"), payload))

    def report(self, *, idempotency_key: str, kind: str = "sms") -> SmsReport | None:
        """Return the delivery status of the message sent with `idempotency_key`, or None if
        the provider cannot be asked now or does not know it."""
        found = self._lookup(idempotency_key, kind)
        if not found:
            return None
        status = _MSG_STATUS.get(str(found.get("msgStatus", "")), "pending")
        return SmsReport(status=status, code=str(found.get("resultCode", ""))[:20])

    def opt_outs_since(self, since: dt.datetime) -> list[OptOut]:
        """Return the numbers on the 080 block list since `since` (oldest first)."""
        query = urllib.parse.urlencode(
            {"startUpdateDate": since.astimezone(KST).strftime(NHN_TIME), "pageSize": 1000}
        )
        error, answer = self._call("GET", self._path("blockservice/recipients") + "?" + query)
        if error is not None or not answer["header"].get("isSuccessful"):
            raise ConnectionError("the 080 block list could not be read")
        rows = (answer.get("body") or {}).get("data") or []
        out = []
        for row in rows:
            try:
                at = dt.datetime.strptime(str(row["createDate"]), NHN_TIME).replace(tzinfo=KST)
            except (KeyError, ValueError):
                continue
            out.append(OptOut(phone=national_number(str(row.get("recipientNo", ""))), at=at))
        return out

    def opt_outs_add(self, phones: list[str]) -> bool:
        """Put `phones` on the 080 block list; return whether the provider took them."""
        if not phones:
            return True
        payload = {"unsubscribeNo": self.opt_out_080,
                   "recipientNoList": [national_number(p) for p in phones]}
        error, answer = self._call("POST", self._path("blockservice/recipients"), payload)
        return error is None and bool(answer["header"].get("isSuccessful"))

    def _lookup(self, key: str, kind: str) -> dict[str, Any] | None:
        route = "sender/mms" if kind == "lms" else "sender/sms"
        query = urllib.parse.urlencode({"senderGroupingKey": key})
        error, answer = self._call("GET", self._path(route) + "?" + query)
        if error is not None or not answer["header"].get("isSuccessful"):
            return None
        data = (answer.get("body") or {}).get("data") or []
        return data[0] if data else None

    def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> tuple[SmsResult | None, dict[str, Any]]:
        """Ask the provider; return (None, its answer) or (the failure, {})."""
        headers = {"X-Secret-Key": self.secret_key}
        data = None
        if payload is not None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json;charset=UTF-8"
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.api_url + path, data=data, method=method, headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except TimeoutError:
            return SmsResult(accepted=False, error="timeout", retryable=True), {}
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            return SmsResult(accepted=False, error=f"connection: {exc}"[:300], retryable=True), {}
        if status in {401, 403}:
            return SmsResult(
                accepted=False, error=f"HTTP {status}: unauthorised", retryable=False
            ), {}
        if status == 429 or status >= 500:
            return SmsResult(accepted=False, error=f"HTTP {status}", retryable=True), {}
        if status == 404:  # a wrong SMS_API_URL: no retry will find the route
            return SmsResult(accepted=False, error="HTTP 404: not found", retryable=False), {}
        try:
            answer = json.loads(raw)
            if not isinstance(answer["header"], dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return SmsResult(
                accepted=False, error=f"HTTP {status}: not an NHN answer", retryable=True
            ), {}
        return None, answer

    @staticmethod
    def _sent(error: SmsResult | None, answer: dict[str, Any]) -> SmsResult:
        if error is not None:
            return error
        header = answer["header"]
        if not header.get("isSuccessful"):
            code = header.get("resultCode")
            return SmsResult(
                accepted=False,
                error=f"{code}: {header.get('resultMessage', '')}"[:300],
                retryable=code in RETRYABLE_CODES or code == QUOTA_EXHAUSTED_CODE,
                quota_exhausted=code == QUOTA_EXHAUSTED_CODE,
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
    """Keep the message in the development outbox; sends nothing anywhere (and so has no
    delivery reports and no 080 block list). The log names the masked number only: the text
    may hold a one-time code."""

    name: ClassVar[str] = "outbox"

    def send(
        self, *, to: str, body: str, idempotency_key: str, kind: str = "sms", title: str = "",
        ad: bool = False, retry: bool = False,
    ) -> SmsResult:
        from dangol.core.models import OutboxMessage

        message, created = OutboxMessage.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={"channel": OutboxMessage.Channel.SMS, "recipient": to,
                      "body": sms_safe_text(body)},
        )
        if created:
            logger.info("SMS to %s kept in the outbox (#%s)", phone_mask(to), message.pk)
        return SmsResult(accepted=True, provider_id=f"outbox-{message.pk}")

    def report(self, *, idempotency_key: str, kind: str = "sms") -> SmsReport | None:
        return None

    def opt_outs_since(self, since: dt.datetime) -> list[OptOut]:
        return []

    def opt_outs_add(self, phones: list[str]) -> bool:
        return True


def sms_channel() -> SmsChannel:
    """Return the configured SMS channel (settings.DANGOL_SMS_BACKEND)."""
    channel: SmsChannel = import_string(settings.DANGOL_SMS_BACKEND)()
    return channel
