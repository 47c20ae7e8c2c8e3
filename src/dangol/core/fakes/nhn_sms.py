"""A local NHN Cloud SMS v3.0 API (see dangol.core.sms for the protocol) on 127.0.0.1,
used by the tests and available to the demo (`python -m dangol.core.fakes.nhn_sms --port
8025`, then SMS_API_URL=http://127.0.0.1:8025). It refuses what the real service refuses:

- POST …/appKeys/{appKey}/sender/sms (≤ 90 EUC-KR bytes), …/sender/mms (LMS: a title,
  ≤ 2,000 bytes), …/sender/auth/sms (codes, ≤ 90 bytes), …/sender/ad-sms and
  …/sender/ad-mms (ads: the text must begin with "(광고)" and end with a line
  "무료수신거부 <the configured 080 number>", else -6003). `X-Secret-Key` must match (HTTP
  401 otherwise), the app key must be known (-1000).
- A sender number not registered: -2312. A recipient number that is not a Korean mobile
  number: -2019. Text that is not EUC-KR (e.g. "₩"): -2014, nothing sent. Past the monthly
  quota (`quota`, None for none): -2052.
- NO de-duplication: a repeated `senderGroupingKey` is sent again (`repeats` counts them;
  `sent` lists every message delivered, `accepted` maps each key to its last message).
- GET …/sender/sms?senderGroupingKey=…|requestId=… (and …/sender/mms): the recipients of
  the matching requests with their delivery status (`msgStatus` "3" delivered, "4" failed;
  `resultCode` "1000" delivered); `set_status(key, "4", "3015")` changes one.
- The 080 block list: GET …/blockservice/recipients?startUpdateDate=yyyy-MM-dd HH:mm:ss
  lists {recipientNo, unsubscribeNo, createDate} since then; POST the same path with
  {"unsubscribeNo", "recipientNoList"} adds numbers. `block(number)` is a person calling
  the 080 number. Ads to a blocked number are accepted and not delivered (msgStatus "4").
- Switches: `fail_next(n, how)` — "error" (HTTP 500), "timeout" (hold the answer for
  `slow_seconds`, nothing sent), "timeout-after-accepting" (send, then hold the answer),
  "refuse" (-2000), "-9999" / "-2021" (retryable system errors), "-2052" (quota).
  `on_accept(count)` is called under the lock after each message sent, before the answer.
"""

import argparse
import datetime as dt
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dangol.core.fakes.server import LocalServer, QuietHandler

APP_KEY = "dangolTestAppKey"
SECRET_KEY = "dangolTestSecret"  # noqa: S105 - the fake's own, public
SENDER = "0515441234"
OPT_OUT_080 = "0801234567"
SEND_KINDS = {"sms", "mms", "auth/sms", "ad-sms", "ad-mms"}
AD_PREFIX = "(광고)"
KST = dt.timezone(dt.timedelta(hours=9))
STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass
class FakeNhnSms:
    app_key: str = APP_KEY
    secret_key: str = SECRET_KEY
    senders: set[str] = field(default_factory=lambda: {SENDER})
    opt_out_080: str = OPT_OUT_080
    quota: int | None = None
    slow_seconds: float = 1.0
    delay: float = 0.0
    port: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    accepted_at: list[float] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    blocked: dict[str, dt.datetime] = field(default_factory=dict)
    repeats: int = 0
    failures: list[str] = field(default_factory=list)
    on_accept: Callable[[int], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- the server -----------------------------------------------------------------------

    def start(self) -> None:
        fake = self

        class Handler(QuietHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw.decode("utf-8") or "{}")
                except (json.JSONDecodeError, UnicodeDecodeError):
                    body = {"_raw": raw.decode("latin-1")}
                status, payload, delay = fake.handle(method, self.path, dict(self.headers), body)
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

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self._answer("POST")

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self._answer("GET")

        self.local = LocalServer(Handler, self.port)

    def stop(self) -> None:
        self.local.stop()

    @property
    def url(self) -> str:
        return self.local.url

    # --- switches -------------------------------------------------------------------------

    def fail_next(self, n: int, how: str = "error") -> None:
        self.failures.extend([how] * n)

    def block(self, number: str, *, at: dt.datetime | None = None) -> None:
        """A person calls the 080 number: `number` joins the block list."""
        with self.lock:
            self.blocked.setdefault(number, at or dt.datetime.now(KST))

    def set_status(self, key: str, msg_status: str, result_code: str) -> None:
        """Change the delivery status of every message sent with grouping key `key`."""
        with self.lock:
            for message in self.sent:
                if message["senderGroupingKey"] == key:
                    message["msgStatus"], message["resultCode"] = msg_status, result_code

    # --- the protocol ---------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any], float]:
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers,
                                  "body": body})
            split = urllib.parse.urlsplit(path)
            query = dict(urllib.parse.parse_qsl(split.query))
            parts = split.path.strip("/").split("/")
            if len(parts) < 6 or parts[:3] != ["sms", "v3.0", "appKeys"]:
                return 404, _header(False, -9999, "Not found"), 0.0
            if parts[3] != self.app_key:
                return 200, _header(False, -1000, "Invalid appKey"), 0.0
            if headers.get("X-Secret-Key") != self.secret_key:
                return 401, _header(False, -1001, "Invalid secretKey"), 0.0
            route = "/".join(parts[4:])
            if route == "blockservice/recipients":
                return self._blocks(method, query, body)
            if not route.startswith("sender/") or route[7:] not in SEND_KINDS:
                return 404, _header(False, -9999, "Not found"), 0.0
            if method == "GET":
                return self._lookup(query)
            return self._send(route[7:], body)

    def _send(self, kind: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        after_accepting = False
        if self.failures:
            how = self.failures.pop(0)
            if how == "error":
                return 500, _header(False, -9999, "Internal server error"), 0.0
            if how == "timeout":
                return 200, _header(False, -9999, "too late"), self.slow_seconds
            if how == "refuse":
                return 200, _header(False, -2000, "Invalid recipient number"), 0.0
            if how in {"-9999", "-2021", "-2052"}:
                return 200, _header(False, int(how), "Temporary failure"), 0.0
            after_accepting = how == "timeout-after-accepting"
        code, error = self._check(kind, body)
        if code:
            return 200, _header(False, code, error), 0.0
        if self.quota is not None and len(self.sent) >= self.quota:
            return 200, _header(False, -2052, "Monthly sending quota exceeded"), 0.0
        key = str(body.get("senderGroupingKey") or "")
        if key and key in self.accepted:
            self.repeats += 1
        request_id = f"{time.strftime('%Y%m%d%H%M%S')}{len(self.sent):08d}"
        recipient = body["recipientList"][0]
        number = str(recipient["recipientNo"])
        refused = kind.startswith("ad-") and number in self.blocked
        message = {
            "kind": kind, **body, "requestId": request_id, "recipientNo": number,
            "msgStatus": "4" if refused else "3", "resultCode": "3031" if refused else "1000",
        }
        self.sent.append(message)
        self.accepted[key or request_id] = message
        self.accepted_at.append(time.time())
        if self.on_accept is not None:
            self.on_accept(len(self.accepted))
        answer = {
            **_header(True, 0, "SUCCESS"),
            "body": {"data": {
                "requestId": request_id, "statusCode": "2", "senderGroupingKey": key,
                "sendResultList": [{
                    "recipientNo": number, "resultCode": 0, "resultMessage": "SUCCESS",
                    "recipientSeq": 1,
                    "recipientGroupingKey": recipient.get("recipientGroupingKey"),
                }],
            }},
        }
        return 200, answer, self.slow_seconds if after_accepting else self.delay

    def _check(self, kind: str, body: dict[str, Any]) -> tuple[int, str]:
        """Return the error code and message a send request earns (0 if none)."""
        text = body.get("body")
        if not isinstance(text, str) or not text:
            return -1002, "body is required"
        recipients = body.get("recipientList")
        if not isinstance(recipients, list) or not recipients:
            return -1002, "recipientList is required"
        if str(body.get("sendNo") or "") not in self.senders:
            return -2312, "Unregistered sender number"
        number = str(recipients[0].get("recipientNo", ""))
        if not number.isdigit() or not number.startswith("01") or len(number) not in {10, 11}:
            return -2019, "Invalid recipient number"
        try:
            # EUC-KR as carriers count it: CP949, every Hangul syllable in 2 bytes.
            size = len(text.encode("cp949"))
            len(str(body.get("title") or "").encode("cp949"))
        except UnicodeEncodeError:
            return -2014, "Body is not EUC-KR"
        long = kind in {"mms", "ad-mms"}
        if not long and size > 90:
            return -2005, "SMS body over 90 bytes"
        if long and (size > 2000 or not body.get("title")):
            return -2005, "LMS needs a title and at most 2,000 bytes"
        if kind.startswith("ad-"):
            last = text.rstrip().rsplit("\n", 1)[-1]
            digits = "".join(ch for ch in last if ch.isdigit())
            if (not text.startswith(AD_PREFIX) or "무료수신거부" not in last
                    or digits != self.opt_out_080):
                return -6003, "Ad without (광고) or the free 080 opt-out line"
        return 0, ""

    def _lookup(self, query: dict[str, str]) -> tuple[int, dict[str, Any], float]:
        key, request_id = query.get("senderGroupingKey"), query.get("requestId")
        if not key and not request_id:
            return 200, _header(False, -1002, "requestId or senderGroupingKey required"), 0.0
        found = [
            {
                "requestId": m["requestId"], "recipientSeq": 1, "recipientNo": m["recipientNo"],
                "senderGroupingKey": m["senderGroupingKey"], "msgStatus": m["msgStatus"],
                "resultCode": m["resultCode"],
            }
            for m in self.sent
            if (key and m["senderGroupingKey"] == key)
            or (request_id and m["requestId"] == request_id)
        ]
        answer = {**_header(True, 0, "SUCCESS"),
                  "body": {"pageNum": 1, "pageSize": len(found), "totalCount": len(found),
                           "data": found}}
        return 200, answer, self.delay

    def _blocks(
        self, method: str, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any], float]:
        if method == "POST":
            numbers = body.get("recipientNoList")
            if str(body.get("unsubscribeNo") or "") != self.opt_out_080 or not isinstance(
                numbers, list
            ):
                return 200, _header(False, -1002, "unsubscribeNo and recipientNoList"), 0.0
            now = dt.datetime.now(KST)
            for number in numbers:
                self.blocked.setdefault(str(number), now)
            return 200, _header(True, 0, "SUCCESS"), 0.0
        since = query.get("startUpdateDate")
        start = dt.datetime.strptime(since, STAMP).replace(tzinfo=KST) if since else None
        rows = [
            {"recipientNo": number, "unsubscribeNo": self.opt_out_080,
             "createDate": at.astimezone(KST).strftime(STAMP)}
            for number, at in sorted(self.blocked.items(), key=lambda item: item[1])
            if start is None or at >= start
        ]
        answer = {**_header(True, 0, "SUCCESS"),
                  "body": {"pageNum": 1, "pageSize": len(rows), "totalCount": len(rows),
                           "data": rows}}
        return 200, answer, 0.0


def _header(ok: bool, code: int, message: str) -> dict[str, Any]:
    return {"header": {"isSuccessful": ok, "resultCode": code, "resultMessage": message}}


def main() -> None:  # pragma: no cover - the demo's entry point
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--quota", type=int, default=None)
    args = parser.parse_args()
    fake = FakeNhnSms(port=args.port, quota=args.quota)
    fake.start()
    print(f"fake NHN Cloud SMS at {fake.url}: app key {APP_KEY}, secret {SECRET_KEY}, "  # noqa: T201
          f"sender {SENDER}, 080 number {OPT_OUT_080}")
    try:
        fake.local.thread.join()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
