"""A local Toss Payments API that behaves like Toss (https://docs.tosspayments.com/reference),
on 127.0.0.1 at a random port, for the tests and the demo.

What it enforces, as Toss does:

- The payment window first: `window(order_id, amount, card=…)` stands for the customer
  authenticating a card in Toss's window and returns the paymentKey Toss would send to the
  success URL. Confirm knows no other paymentKey (404 NOT_FOUND_PAYMENT_SESSION) and checks the
  paymentKey / orderId / amount trio against the window's order.
- `card` picks the outcome of confirm: "approve", or a documented decline code (DECLINES:
  HTTP 403 or 400 with Toss's code and message; the payment becomes ABORTED with `failure`).
- `provider_errors(n)`: the next `n` confirms answer 400 PROVIDER_ERROR (temporary, not
  stored under the idempotency key, so a retry is answered afresh).
- A second confirm of a confirmed payment under a new key: 400 ALREADY_PROCESSED_PAYMENT.
- GET /v1/payments/{paymentKey} and GET /v1/payments/orders/{orderId}.
- Basic auth (base64(secretKey + ":")); an `Idempotency-Key` header on every POST (stricter
  than Toss, to prove the adapter sends one). A repeated key is answered with the stored first
  response for 15 days (IDEMPOTENCY_DAYS) by the fake's clock, `now()`, which follows
  `dangol.core.clock` shifted by `advance(…)`; after that the key is new again.
- `time_out_next()`: the next request is carried out and stored, then its reply is held back
  for `slow_seconds` (an answer lost to the client's timeout).
- A page that plays the payment window in a browser: GET /window with the query Toss's
  `requestPayment` takes (clientKey, orderId, amount, orderName, successUrl, failUrl) shows
  the test cards; choosing one redirects to successUrl?paymentKey=…&orderId=…&amount=…, and
  cancelling to failUrl?code=PAY_PROCESS_CANCELED&message=…&orderId=…, as Toss does.

`respond_next(status, body)` makes the next request answer exactly that; `requests` logs every
request (method, path, headers, body).

For the demo, `python -m dangol.payments.fakes.toss [port]` serves it until interrupted and
prints the settings that point dangol at it.
"""

import base64
import copy
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from dangol.core import clock
from dangol.core.fakes.server import LocalServer, QuietHandler

SECRET_KEY = "test_sk_dangol_0000000000000000"  # noqa: S105 - the fake's own test key
CLIENT_KEY = "test_ck_dangol_0000000000000000"
IDEMPOTENCY_DAYS = 15
APPROVE = "approve"

# Decline codes of the confirm API: HTTP status and Toss's message (docs: API & SDK / 에러 코드).
DECLINES: dict[str, tuple[int, str]] = {
    "REJECT_CARD_PAYMENT": (403, "한도초과 혹은 잔액부족으로 결제에 실패했습니다."),
    "REJECT_CARD_COMPANY": (403, "결제 승인이 거절되었습니다."),
    "FDS_ERROR": (403, "[토스페이먼츠] 위험거래가 감지되어 결제가 제한됩니다."),
    "INVALID_PASSWORD": (403, "결제 비밀번호가 일치하지 않습니다."),
    "EXCEED_MAX_DAILY_PAYMENT_COUNT": (403, "하루 결제 가능 횟수를 초과했습니다."),
    "EXCEED_MAX_ONE_DAY_AMOUNT": (403, "일일 한도를 초과했습니다."),
    "INVALID_REJECT_CARD": (400, "카드 사용이 거절되었습니다. 카드사 문의가 필요합니다."),
    "INVALID_STOPPED_CARD": (400, "정지된 카드 입니다."),
    "INVALID_CARD_EXPIRATION": (400, "카드 정보를 다시 확인해주세요. (유효기간)"),
    "INVALID_CARD_COMPANY": (400, "유효하지 않은 카드입니다."),
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeToss:
    secret_key: str = SECRET_KEY
    port: int = 0  # 0: any free port
    slow_seconds: float = 1.0
    offset: timedelta = timedelta(0)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)
    responses: dict[str, tuple[datetime, int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    injected: list[tuple[int, Any]] = field(default_factory=list)
    temporary_errors: int = 0
    slow_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.startswith("/window"):
                    query = parse_qs(urlsplit(self.path).query)
                    self._page(*fake.window_page({k: v[0] for k, v in query.items()}))
                    return
                self._answer(*fake.handle("GET", self.path, dict(self.headers), {}))

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.startswith("/window"):
                    form = parse_qs(raw.decode("utf-8"))
                    self._page(*fake.window_submit({k: v[0] for k, v in form.items()}))
                    return
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode("latin-1")}
                self._answer(*fake.handle("POST", self.path, dict(self.headers), body))

            def _page(self, status: int, location: str, page: str) -> None:
                data = page.encode()
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(self, status: int, payload: Any, delay: float) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

        self.local = LocalServer(Handler, self.port)

    def stop(self) -> None:
        self.local.stop()

    @property
    def url(self) -> str:
        return self.local.url

    # --- what a test (or the demo) does ---------------------------------------------------

    def now(self) -> datetime:
        return clock.now() + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the fake's clock forward (idempotency keys age with it)."""
        self.offset += delta

    def window(self, order_id: str, amount: int, *, card: str = APPROVE) -> str:
        """Play the customer's payment window for `order_id`; return the paymentKey that
        Toss sends to the success URL. `card` is APPROVE or a code of DECLINES."""
        if card != APPROVE and card not in DECLINES:
            raise ValueError(f"unknown test card {card!r}")
        with self.lock:
            payment_key = f"tpk_{secrets.token_hex(12)}"
            self.payments[payment_key] = {
                "mId": "tosspayments",
                "version": "2022-11-16",
                "paymentKey": payment_key,
                "orderId": order_id,
                "orderName": "단골 상품권",
                "status": "IN_PROGRESS",
                "method": "카드",
                "currency": "KRW",
                "totalAmount": amount,
                "balanceAmount": amount,
                "suppliedAmount": amount - amount // 11,
                "vat": amount // 11,
                "requestedAt": self.now().isoformat(),
                "approvedAt": None,
                "cancels": None,
                "failure": None,
                "card": {"issuerCode": "61", "number": "43301234****123*"},
            }
            self.cards[payment_key] = card
            return payment_key

    def window_page(self, query: dict[str, str]) -> tuple[int, str, str]:
        """Return (status, redirect, HTML) of the window page for Toss's payment request."""
        if query.get("clientKey") != CLIENT_KEY:
            return 401, "", "<p>UNAUTHORIZED_KEY: 클라이언트 키가 올바르지 않습니다.</p>"
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        cards = "".join(
            f'<li><label><input type="radio" name="card" value="{code}"{checked}> {label}'
            "</label></li>"
            for code, label, checked in [
                (APPROVE, "승인되는 카드", " checked"),
                *((code, f"거절되는 카드 ({code})", "") for code in DECLINES),
            ]
        )
        amount = html.escape(query.get("amount", ""))
        return 200, "", (
            '<!doctype html><html lang="ko"><meta charset="utf-8">'
            "<title>토스페이먼츠 결제창 (테스트)</title>"
            f"<h1>토스페이먼츠 결제창 (테스트)</h1><p>{html.escape(query.get('orderName', ''))}"
            f" — {amount}원</p><form method=\"post\" action=\"/window\">{hidden}"
            f"<ul>{cards}</ul>"
            '<button type="submit" name="action" value="pay">결제하기</button> '
            '<button type="submit" name="action" value="cancel">취소</button></form></html>'
        )

    def window_submit(self, form: dict[str, str]) -> tuple[int, str, str]:
        """Issue the paymentKey for the chosen card and redirect as Toss's window does."""
        if form.get("clientKey") != CLIENT_KEY:
            return 401, "", "<p>UNAUTHORIZED_KEY</p>"
        order_id = form.get("orderId", "")
        if form.get("action") == "cancel":
            query = {
                "code": "PAY_PROCESS_CANCELED",
                "message": "사용자에 의해 결제가 취소되었습니다.",
                "orderId": order_id,
            }
            return 303, _with_query(form.get("failUrl", ""), query), ""
        amount = int(form.get("amount", "0") or 0)
        payment_key = self.window(order_id, amount, card=form.get("card", APPROVE))
        query = {"paymentKey": payment_key, "orderId": order_id, "amount": str(amount)}
        return 303, _with_query(form.get("successUrl", ""), query), ""

    def provider_errors(self, count: int) -> None:
        """Answer the next `count` confirms with 400 PROVIDER_ERROR (temporary)."""
        self.temporary_errors = count

    def time_out_next(self, count: int = 1) -> None:
        """Carry out each of the next `count` requests, then hold its reply back for
        `slow_seconds`."""
        self.slow_next += count

    def respond_next(self, status: int, body: Any) -> None:
        """Answer the next request with `status` and `body` (a dict, or raw bytes)."""
        self.injected.append((status, body))

    def confirmed(self, payment_key: str) -> dict[str, Any]:
        return self.payments[payment_key]

    # --- the protocol -------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, Any, float]:
        """Return (status, body, delay before replying) for one request."""
        with self.lock:
            self.requests.append(RecordedRequest(method, path, headers, body))
            if self.injected:
                status, payload = self.injected.pop(0)
                return status, payload, 0.0
            expected = "Basic " + base64.b64encode(f"{self.secret_key}:".encode()).decode()
            if headers.get("Authorization") != expected:
                return 401, _error(
                    "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."
                ), 0.0
            if method == "GET":
                status, payload = self._get(path)
                return status, payload, self._delay()
            key = headers.get("Idempotency-Key", "")
            if not key:
                return 400, _error("INVALID_REQUEST", "Idempotency-Key 헤더가 필요합니다."), 0.0
            stored = self.responses.get(key)
            if stored and self.now() - stored[0] < timedelta(days=IDEMPOTENCY_DAYS):
                return stored[1], copy.deepcopy(stored[2]), 0.0
            if path == "/v1/payments/confirm":
                if self.temporary_errors:
                    self.temporary_errors -= 1
                    return 400, _error(
                        "PROVIDER_ERROR", "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요."
                    ), 0.0
                status, payload = self._confirm(body)
            elif path.startswith("/v1/payments/") and path.endswith("/cancel"):
                status, payload = self._cancel(path.split("/")[3], body)
            else:
                status, payload = 404, _error("NOT_FOUND", "존재하지 않는 API입니다.")
            self.responses[key] = (self.now(), status, copy.deepcopy(payload))
            return status, payload, self._delay()

    def _delay(self) -> float:
        if not self.slow_next:
            return 0.0
        self.slow_next -= 1
        return self.slow_seconds

    def _get(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = path.split("?")[0].strip("/").split("/")
        payment = None
        if parts[:3] == ["v1", "payments", "orders"] and len(parts) == 4:
            payment = next((p for p in self.payments.values() if p["orderId"] == parts[3]), None)
        elif parts[:2] == ["v1", "payments"] and len(parts) == 3:
            payment = self.payments.get(parts[2])
        if payment is None:
            return 404, _error("NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
        return 200, copy.deepcopy(payment)

    def _confirm(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payment_key = str(body.get("paymentKey", ""))
        order_id = str(body.get("orderId", ""))
        amount = body.get("amount")
        if not payment_key or not order_id or not isinstance(amount, int) or amount <= 0:
            return 400, _error("INVALID_REQUEST", "잘못된 요청입니다.")
        payment = self.payments.get(payment_key)
        if payment is None:
            return 404, _error(
                "NOT_FOUND_PAYMENT_SESSION",
                "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
            )
        if payment["orderId"] != order_id or payment["totalAmount"] != amount:
            return 400, _error("INVALID_REQUEST", "잘못된 요청입니다.")
        if payment["status"] != "IN_PROGRESS":
            return 400, _error("ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.")
        card = self.cards[payment_key]
        if card in DECLINES:
            status, message = DECLINES[card]
            payment["status"] = "ABORTED"
            payment["failure"] = _error(card, message)
            return status, _error(card, message)
        payment["status"] = "DONE"
        payment["approvedAt"] = self.now().isoformat()
        payment["card"]["approveNo"] = "00000000"
        return 200, copy.deepcopy(payment)

    def _cancel(self, payment_key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payment = self.payments.get(payment_key)
        if payment is None:
            return 404, _error("NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
        if not body.get("cancelReason"):
            return 400, _error("INVALID_REQUEST", "취소 사유를 입력해주세요.")
        if payment["status"] == "CANCELED":
            return 400, _error("ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.")
        if payment["status"] not in {"DONE", "PARTIAL_CANCELED"}:
            return 403, _error("NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.")
        amount = body.get("cancelAmount", payment["balanceAmount"])
        if not isinstance(amount, int) or amount <= 0 or amount > payment["balanceAmount"]:
            return 403, _error("NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.")
        payment["balanceAmount"] -= amount
        payment["status"] = "CANCELED" if payment["balanceAmount"] == 0 else "PARTIAL_CANCELED"
        payment["cancels"] = [
            *(payment["cancels"] or []),
            {
                "cancelAmount": amount,
                "cancelReason": body["cancelReason"],
                "canceledAt": self.now().isoformat(),
                "transactionKey": f"tx{len(payment['cancels'] or []) + 1}",
                "cancelStatus": "DONE",
            },
        ]
        return 200, copy.deepcopy(payment)


def _with_query(url: str, query: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(query)


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def main(argv: list[str]) -> None:
    """Serve the fake Toss on the port `argv[0]` (default 8765) until interrupted."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_TZ=True)  # the clock is all the fake reads of Django
    server = FakeToss(port=int(argv[0]) if argv else 8765)
    server.start()
    print(  # noqa: T201 - a command's output
        f"PAYMENTS_PROVIDER=toss TOSS_API_BASE={server.url} TOSS_WINDOW_URL={server.url}/window "
        f"TOSS_SECRET_KEY={SECRET_KEY} TOSS_CLIENT_KEY={CLIENT_KEY}",
        flush=True,
    )
    try:
        server.local.thread.join()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
