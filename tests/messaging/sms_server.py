"""A local NHN Cloud SMS v3.0 API for tests (see dangol.core.sms for the
protocol), on 127.0.0.1 at a random port.

- POST /sms/v3.0/appKeys/{appKey}/sender/sms (≤ 90 EUC-KR bytes) and …/sender/mms (LMS,
  with a title), JSON bodies as documented; `X-Secret-Key` must match, else HTTP 401.
- Like the real provider is assumed to, it treats a repeated `senderGroupingKey` as the same
  request: it answers success with the first answer and delivers nothing new. `accepted`
  maps each key to the message delivered once; `repeats` counts the repeated keys.
- `fail_next(n, how)` makes the next n requests fail: "error" (HTTP 500), "timeout" (hold
  the answer for `slow_seconds`, the message NOT accepted), "refuse" (isSuccessful false,
  resultCode -2000: not retryable); `delay` slows every answer down.
- `on_accept(count)` is called, under the lock, after each new acceptance, before the reply
  is written (the SIGKILL test kills the worker from there: the message is accepted and the
  worker never learns it).
"""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

APP_KEY = "dangolTestAppKey"
SECRET_KEY = "dangolTestSecret"
SENDER = "0515441234"


@dataclass
class FakeNhnSms:
    app_key: str = APP_KEY
    secret_key: str = SECRET_KEY
    slow_seconds: float = 1.0
    delay: float = 0.0
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    accepted_at: list[float] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    repeats: int = 0
    failures: list[str] = field(default_factory=list)
    on_accept: Callable[[int], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw.decode("utf-8") or "{}")
                except (json.JSONDecodeError, UnicodeDecodeError):
                    body = {"_raw": raw.decode("latin-1")}
                status, payload, delay = fake.handle(self.path, dict(self.headers), body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

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

    def fail_next(self, n: int, how: str = "error") -> None:
        self.failures.extend([how] * n)

    # --- the protocol -------------------------------------------------------------------

    def handle(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any], float]:
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            parts = path.strip("/").split("/")
            if (
                len(parts) != 6 or parts[:2] != ["sms", "v3.0"] or parts[2] != "appKeys"
                or parts[4] != "sender" or parts[5] not in {"sms", "mms"}
            ):
                return 404, _header(False, -9999, "Not found"), 0.0
            if parts[3] != self.app_key:
                return 200, _header(False, -1000, "Invalid appKey"), 0.0
            if headers.get("X-Secret-Key") != self.secret_key:
                return 401, _header(False, -1001, "Invalid secretKey"), 0.0
            if self.failures:
                how = self.failures.pop(0)
                if how == "error":
                    return 500, _header(False, -9999, "Internal server error"), 0.0
                if how == "timeout":
                    return 200, _header(False, -9999, "too late"), self.slow_seconds
                return 200, _header(False, -2000, "Invalid recipient number"), 0.0
            error = _check(parts[5], body)
            if error:
                return 200, _header(False, -3000, error), 0.0
            key = str(body.get("senderGroupingKey") or "")
            if key and key in self.answers:
                self.repeats += 1
                return 200, self.answers[key], self.delay
            request_id = f"{time.strftime('%Y%m%d%H%M%S')}{len(self.answers):08d}"
            recipient = body["recipientList"][0]
            answer = {
                **_header(True, 0, "SUCCESS"),
                "body": {
                    "data": {
                        "requestId": request_id,
                        "statusCode": "2",
                        "senderGroupingKey": key,
                        "sendResultList": [
                            {
                                "recipientNo": recipient["recipientNo"],
                                "resultCode": 0,
                                "resultMessage": "SUCCESS",
                                "recipientSeq": 1,
                                "recipientGroupingKey": recipient.get("recipientGroupingKey"),
                            }
                        ],
                    }
                },
            }
            if key:
                self.answers[key] = answer
            self.accepted[key or request_id] = {"kind": parts[5], **body}
            self.accepted_at.append(time.time())
            if self.on_accept is not None:
                self.on_accept(len(self.accepted))
            return 200, answer, self.delay


def _header(ok: bool, code: int, message: str) -> dict[str, Any]:
    return {"header": {"isSuccessful": ok, "resultCode": code, "resultMessage": message}}


def _check(kind: str, body: dict[str, Any]) -> str:
    """Return what is wrong with a send request ("" if nothing)."""
    text = body.get("body")
    if not isinstance(text, str) or not text:
        return "body is required"
    if not body.get("sendNo"):
        return "sendNo is required"
    recipients = body.get("recipientList")
    if not isinstance(recipients, list) or not recipients:
        return "recipientList is required"
    number = str(recipients[0].get("recipientNo", ""))
    if not number.isdigit() or not number.startswith("01"):
        return "Invalid recipientNo"
    size = len(text.encode("euc-kr", errors="replace"))
    if kind == "sms" and size > 90:
        return "SMS body over 90 bytes"
    if kind == "mms" and (size > 2000 or not body.get("title")):
        return "LMS needs a title and at most 2,000 bytes"
    return ""
