"""A local Toss Payments API for tests: confirm and cancel, as documented at
https://docs.tosspayments.com/reference, on 127.0.0.1 at a random port.

It checks Basic auth (base64(secretKey + ":")), requires an `Idempotency-Key` (stricter than
Toss, to prove the adapter always sends one) and answers a repeated key with the stored first
response, as Toss does. Payment keys choose behaviour on confirm:

- "invalid_card_…": 400 INVALID_CARD_COMPANY;
- "slow_…": the payment is confirmed and its response stored, then the reply is held back
  for `slow_seconds` (an answer lost to a client timeout);
- anything else: confirmed (DONE).

`respond_next(status, body)` makes the next request answer with exactly that; `requests`
logs every request (path, headers, body).
"""

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET_KEY = "test_sk_dangol_0000000000000000"


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeToss:
    secret_key: str = SECRET_KEY
    slow_seconds: float = 1.0
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    injected: list[tuple[int, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode("latin-1")}
                status, payload, delay = fake.handle(self.path, dict(self.headers), body)
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

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond_next(self, status: int, body: Any) -> None:
        """Answer the next request with `status` and `body` (a dict, or raw bytes)."""
        self.injected.append((status, body))

    def confirmed(self, payment_key: str) -> dict[str, Any]:
        return self.payments[payment_key]

    # --- the protocol -------------------------------------------------------------------

    def handle(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, Any, float]:
        """Return (status, body, delay before replying) for one request."""
        with self.lock:
            self.requests.append(RecordedRequest(path, headers, body))
            if self.injected:
                status, payload = self.injected.pop(0)
                return status, payload, 0.0
            expected = "Basic " + base64.b64encode(f"{self.secret_key}:".encode()).decode()
            if headers.get("Authorization") != expected:
                return 401, _error(
                    "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."
                ), 0.0
            key = headers.get("Idempotency-Key", "")
            if not key:
                return 400, _error("INVALID_REQUEST", "Idempotency-Key 헤더가 필요합니다."), 0.0
            if key in self.responses:
                status, payload = self.responses[key]
                return status, payload, 0.0
            delay = 0.0
            if path == "/v1/payments/confirm":
                status, payload = self._confirm(body)
                if str(body.get("paymentKey", "")).startswith("slow_"):
                    delay = self.slow_seconds
            elif path.startswith("/v1/payments/") and path.endswith("/cancel"):
                status, payload = self._cancel(path.split("/")[3], body)
            else:
                status, payload = 404, _error("NOT_FOUND", "존재하지 않는 API입니다.")
            self.responses[key] = (status, payload)
            return status, payload, delay

    def _confirm(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payment_key = str(body.get("paymentKey", ""))
        order_id = str(body.get("orderId", ""))
        amount = body.get("amount")
        if not payment_key or not order_id or not isinstance(amount, int) or amount <= 0:
            return 400, _error("INVALID_REQUEST", "잘못된 요청입니다.")
        if payment_key.startswith("invalid_card_"):
            return 400, _error("INVALID_CARD_COMPANY", "유효하지 않은 카드입니다.")
        if payment_key in self.payments:
            return 400, _error("ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.")
        payment = {
            "mId": "tosspayments",
            "version": "2022-11-16",
            "paymentKey": payment_key,
            "orderId": order_id,
            "orderName": "단골 상품권",
            "status": "DONE",
            "method": "카드",
            "currency": "KRW",
            "totalAmount": amount,
            "balanceAmount": amount,
            "suppliedAmount": amount - amount // 11,
            "vat": amount // 11,
            "requestedAt": "2026-11-22T09:00:00+09:00",
            "approvedAt": "2026-11-22T09:00:05+09:00",
            "cancels": None,
            "card": {"issuerCode": "61", "number": "43301234****123*", "approveNo": "00000000"},
        }
        self.payments[payment_key] = payment
        return 200, json.loads(json.dumps(payment))

    def _cancel(self, payment_key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payment = self.payments.get(payment_key)
        if payment is None:
            return 404, _error("NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
        if not body.get("cancelReason"):
            return 400, _error("INVALID_REQUEST", "취소 사유를 입력해주세요.")
        if payment["status"] == "CANCELED":
            return 400, _error("ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.")
        amount = body.get("cancelAmount", payment["balanceAmount"])
        if not isinstance(amount, int) or amount <= 0 or amount > payment["balanceAmount"]:
            return 400, _error("NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.")
        payment["balanceAmount"] -= amount
        payment["status"] = "CANCELED" if payment["balanceAmount"] == 0 else "PARTIAL_CANCELED"
        payment["cancels"] = [
            *(payment["cancels"] or []),
            {
                "cancelAmount": amount,
                "cancelReason": body["cancelReason"],
                "canceledAt": "2026-11-22T10:00:00+09:00",
                "transactionKey": f"tx{len(payment['cancels'] or []) + 1}",
                "cancelStatus": "DONE",
            },
        ]
        return 200, json.loads(json.dumps(payment))


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}
