"""A market's load on the SQLite demo: 24 clients for 60 s with a 20,000-row import in the middle.

Issue 12's acceptance line: the SQLite demo with 2 web workers under 24 concurrent clients
for 60 s, one owner uploading a 20,000-row customer list (0.46 MB) after ~20 s, gives no
server error, no "database is locked", a p99 of the other requests under 2 s, and afterwards
the ledger verifies, every acknowledged redemption has exactly one row, voucher balances add
up and every claim key holds one coupon.

1. Migrates and seeds the 반송큰시장 demo in a temporary DANGOL_VAR_DIR (`dangol demo
   --no-serve`, with DANGOL_DEMO=1 as `make demo`), then gives 8 stores an owner with a POS
   token (store-scoped) and a claimable coupon, 120 seeded customers an API token, and the
   featured store message credit (bench/market_load_setup.py, through the services).
2. Serves it as `make demo` does (`dangol demo`: gunicorn with 2 sync workers and the Huey
   consumer), its output in a log.
3. Drives the clients (threads, one connection per request): customers browse store and
   market pages and the vouchers on sale, follow stores, claim coupons (Idempotency-Key) and
   buy market vouchers with the sandbox card; counters look vouchers up and redeem vouchers
   and coupons through the POS API (Idempotency-Key; one in ten requests is sent again with
   the same key, as a POS that lost the answer would); the owner sends a campaign now and
   then. At `--import-at` seconds the owner signs in and uploads the customer list through
   the import page, then follows its progress page until the import has finished.
4. Prints requests per kind, server errors, "database is locked" in the log, p50/p95/p99 of
   every request but the import's next to the 2 s limit, and the import's duration; then
   checks the database (bench/market_load_checks.py) and exits 1 if any check fails.

    .venv/bin/python bench/market_load.py            # 24 clients, 60 s, 20,000 rows
    .venv/bin/python bench/market_load.py --short    # 8 clients, 15 s, 2,000 rows (the test)

Last line: BENCH market_load clients=… seconds=… requests=… server_errors=… locked=…
p99_ms=… import_rows=… import_s=… checks=ok|failed
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# Python puts this folder first on the path, where bench/http.py would shadow the standard
# library's `http` package that http.client lives in.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

import http.client  # noqa: E402

# Then back at the end, for the helpers beside this script (market_load_checks).
sys.path.append(str(HERE))

P99_LIMIT_S = 2.0
START_TIMEOUT = 90
REQUEST_TIMEOUT = 30
IMPORT_TIMEOUT = 300
RETRY_SHARE = 0.1
LOCKED = re.compile(r"database is locked|database table is locked", re.IGNORECASE)


@dataclass
class Outcome:
    """What one kind of request got back."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""


@dataclass
class Record:
    """What the clients were told, for the checks: acknowledged writes by key."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    # Voucher redemptions: (store id, key) -> redemption id answered (every answer to the key).
    redemptions: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    unanswered_redemptions: int = 0
    claims: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    unanswered_claims: int = 0
    coupon_redeems: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    vouchers: list[dict] = field(default_factory=list)  # bought: code, balance known
    coupons: list[dict] = field(default_factory=list)  # claimed, not yet redeemed
    # (start on the monotonic clock, seconds) of every request, for the import's window.
    timeline: list[tuple[float, float]] = field(default_factory=list)

    def note(self, kind: str, status: int, started: float, seconds: float, body: bytes) -> None:
        with self.lock:
            outcome = self.outcomes.setdefault(kind, Outcome())
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            outcome.latencies.append(seconds)
            self.timeline.append((started, seconds))
            if (status >= 500 or status == 0) and not outcome.first_error:
                outcome.first_error = f"{status}: {body[:300]!r}"


class Client:
    """HTTP/1.1 requests on a new connection each (the demo's sync workers close them)."""

    def __init__(self, port: int, record: Record) -> None:
        self.port = port
        self.record = record
        self.cookies: dict[str, str] = {}

    def request(
        self, kind: str, method: str, path: str, *, body: bytes | None = None,
        headers: dict[str, str] | None = None, timeout: float = REQUEST_TIMEOUT,
        note: bool = True,
    ) -> tuple[int, bytes, dict[str, str]]:
        sent = {"Accept-Language": "ko", "User-Agent": "dangol-bench", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        began, started = time.monotonic(), time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            status = response.status
            answer = {key.lower(): value for key, value in response.getheaders()}
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
        except OSError as exc:
            status, data, answer = 0, str(exc).encode(), {}
        finally:
            connection.close()
        if note:
            self.record.note(kind, status, began, time.perf_counter() - started, data)
        return status, data, answer

    def api(
        self, kind: str, method: str, path: str, token: str, payload: object = None,
        key: str | None = None,
    ) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        body = None if payload is None else json.dumps(payload).encode()
        status, data, _headers = self.request(kind, method, f"/api{path}", body=body,
                                              headers=headers)
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {}
        return status, parsed if isinstance(parsed, dict) else {"items": parsed}


# --- the customers, counters and the owner -----------------------------------------------------


def customer_turn(client: Client, fixture: dict, record: Record, rng: random.Random) -> None:
    """One customer action: browse, follow, claim a coupon or buy a voucher."""
    customer = rng.choice(fixture["customers"])
    store = rng.choice(fixture["stores"])
    roll = rng.random()
    if roll < 0.40:
        browsed = rng.choice(fixture["browse_store_ids"])
        client.request("page: store", "GET", f"/stores/{browsed}/")
    elif roll < 0.50:
        client.request("page: market", "GET", f"/markets/{fixture['market_id']}/")
    elif roll < 0.58:
        client.api("api: vouchers on sale", "GET",
                   f"/vouchers/products?market_id={fixture['market_id']}", customer)
    elif roll < 0.68:
        client.api("api: follow", "PUT", f"/stores/{store['id']}/follow", customer, {})
    elif roll < 0.85:
        claim(client, customer, store, record, rng)
    else:
        buy(client, customer, fixture, record, rng)


def claim(client: Client, customer: str, store: dict, record: Record,
          rng: random.Random) -> None:
    key = uuid.uuid4().hex
    path = f"/stores/{store['id']}/coupons/{store['coupon_template_id']}/claim"
    for attempt in range(2 if rng.random() < RETRY_SHARE else 1):
        status, body = client.api("api: claim coupon", "POST", path, customer, key=key)
        with record.lock:
            if status == 201:
                record.claims.setdefault((store["id"], key), []).append(body["id"])
                if attempt == 0:
                    record.coupons.append({"store_id": store["id"], "code": body["code"]})
            elif status == 0 or status >= 500:
                record.unanswered_claims += 1


def buy(client: Client, customer: str, fixture: dict, record: Record,
        rng: random.Random) -> None:
    product = rng.choice(fixture["voucher_products"])
    status, body = client.api(
        "api: buy voucher", "POST", "/vouchers/purchases", customer,
        {"product_id": product["id"], "card_number": fixture["card"]}, key=uuid.uuid4().hex,
    )
    if status == 201:
        with record.lock:
            record.vouchers.append({"code": body["code"], "balance": body["balance"]})


def counter_turn(client: Client, fixture: dict, record: Record, rng: random.Random) -> None:
    """One counter action through the POS API: look up or redeem a voucher, redeem a coupon."""
    store = rng.choice(fixture["stores"])
    roll = rng.random()
    with record.lock:
        voucher = rng.choice(record.vouchers) if record.vouchers else None
        coupon = None
        if roll >= 0.65:
            mine = [item for item in record.coupons if item["store_id"] == store["id"]]
            if mine:
                coupon = rng.choice(mine)
                record.coupons.remove(coupon)
    if coupon is not None:
        key = uuid.uuid4().hex
        for _attempt in range(2 if rng.random() < RETRY_SHARE else 1):
            status, body = client.api(
                "pos: redeem coupon", "POST", f"/stores/{store['id']}/coupons/redeem",
                store["pos_token"], {"code": coupon["code"], "purchase_amount": 20_000}, key=key,
            )
            if status == 200:
                with record.lock:
                    record.coupon_redeems.setdefault((store["id"], key), []).append(body["id"])
        return
    if voucher is None:
        client.request("page: store", "GET", f"/stores/{store['id']}/")
        return
    if roll < 0.2:
        client.api("pos: voucher lookup", "POST", f"/stores/{store['id']}/vouchers/lookup",
                   store["pos_token"], {"code": voucher["code"]})
        return
    amount = min(voucher["balance"], rng.choice([1_000, 2_000, 3_000, 5_000]))
    if amount <= 0:
        return
    key = uuid.uuid4().hex
    for _attempt in range(2 if rng.random() < RETRY_SHARE else 1):
        status, body = client.api(
            "pos: redeem voucher", "POST", f"/stores/{store['id']}/vouchers/redemptions",
            store["pos_token"], {"code": voucher["code"], "amount": amount}, key=key,
        )
        with record.lock:
            if status == 201:
                record.redemptions.setdefault((store["id"], key), []).append(body["id"])
                voucher["balance"] = body["voucher_balance"]
            elif status == 0 or status >= 500:
                record.unanswered_redemptions += 1


def campaign(client: Client, fixture: dict, rng: random.Random) -> None:
    """The featured store's owner sends a message to every regular (in-app)."""
    store_id = fixture["featured_store_id"]
    client.api(
        "api: send campaign", "POST", f"/stores/{store_id}/campaigns", fixture["owner_token"],
        {"body": f"오늘 들어온 생물 고등어 1손 {rng.choice([10, 11, 12])},000원입니다.",
         "channels": ["in_app"]},
        key=uuid.uuid4().hex,
    )


# --- the import ----------------------------------------------------------------------------------


def customer_list(rows: int) -> bytes:
    """Return `rows` generated rows, every tenth with a paper consent of a month ago (after
    the demo's stores joined), as bench/regulars_import.py writes them."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    consented = (today - dt.timedelta(days=30)).isoformat()
    lines = ["이름,휴대전화,동의일시,동의방법"]
    for n in range(rows):
        phone = f"010-{5000 + n // 10_000:04d}-{n % 10_000:04d}"
        lines.append(f"손님,{phone},{consented},서면" if n % 10 == 0 else f"손님,{phone}")
    return "\n".join(lines).encode("utf-8")


def csrf_of(page: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1).decode()


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        .encode() for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class ImportRun:
    rows: int
    seconds: float = 0.0
    upload_seconds: float = 0.0
    status: int = 0
    followed: int = -1
    error: str = ""
    # The window from the upload to the result, on the monotonic clock.
    began: float = 0.0
    ended: float = 0.0


def run_import(port: int, fixture: dict, record: Record, result: ImportRun) -> None:
    """Sign the owner in, upload the list on the import page, follow it until it is done."""
    owner = Client(port, record)
    started = time.perf_counter()
    try:
        _status, page, _h = owner.request("import", "GET", "/accounts/login/", note=False)
        form = (f"csrfmiddlewaretoken={csrf_of(page)}&email={fixture['owner_email']}"
                f"&password={fixture['owner_password']}").encode()
        status, _body, _h = owner.request(
            "import", "POST", "/accounts/login/email/", body=form, note=False,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Referer": f"http://127.0.0.1:{port}/accounts/login/"},
        )
        if status != 302:
            raise RuntimeError(f"owner sign-in answered {status}")
        path = f"/merchant/stores/{fixture['featured_store_id']}/regulars/import/"
        _status, page, _h = owner.request("import", "GET", path, note=False)
        body, content_type = multipart({"csrfmiddlewaretoken": csrf_of(page)}, "list.csv",
                                       customer_list(result.rows))
        started, result.began = time.perf_counter(), time.monotonic()
        status, page, headers = owner.request(
            "import", "POST", path, body=body, timeout=IMPORT_TIMEOUT, note=False,
            headers={"Content-Type": content_type,
                     "Referer": f"http://127.0.0.1:{port}{path}"},
        )
        result.upload_seconds = time.perf_counter() - started
        result.status = status
        deadline = time.monotonic() + IMPORT_TIMEOUT
        # A backgrounded import answers with its progress page (or a redirect to it).
        while status in (200, 302, 303) and not re.search(rb'data-import-state="(done|failed)"',
                                                          page):
            if b"data-import-state" not in page and status == 200:
                break  # answered in the request: the result is on this page
            if time.monotonic() > deadline:
                raise RuntimeError("the import did not finish in time")
            if status in (302, 303):
                path = headers["location"]
            else:
                time.sleep(0.5)
            status, page, headers = owner.request("import", "GET", path, note=False)
        result.seconds, result.ended = time.perf_counter() - started, time.monotonic()
        found = re.search(rb"\xec\x83\x88 \xeb\x8b\xa8\xea\xb3\xa8 ([\d,]+)", page)  # 새 단골 N
        result.followed = int(found.group(1).replace(b",", b"")) if found else -1
        if status != 200 or b'data-import-state="failed"' in page:
            result.error = f"status {status}: {page[:300]!r}"
    except (RuntimeError, OSError, KeyError) as exc:
        result.seconds = time.perf_counter() - started
        result.error = str(exc)


# --- the run -------------------------------------------------------------------------------------


def drive(port: int, fixture: dict, *, clients: int, seconds: float, import_at: float,
          import_rows: int) -> tuple[Record, ImportRun, float]:
    """Run the clients for `seconds` and the import at `import_at`; return what happened."""
    record = Record()
    result = ImportRun(rows=import_rows)
    started = time.monotonic()
    deadline = started + seconds
    campaign_every = 10.0
    next_campaign = [started + 3.0]

    def work(number: int) -> None:
        rng = random.Random(number)  # noqa: S311 -- load, not secrets
        client = Client(port, record)
        while time.monotonic() < deadline:
            now = time.monotonic()
            if number == 0 and now >= next_campaign[0]:
                next_campaign[0] = now + campaign_every
                campaign(client, fixture, rng)
            elif number % 3 == 1:
                counter_turn(client, fixture, record, rng)
            else:
                customer_turn(client, fixture, record, rng)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]

    def importer() -> None:
        time.sleep(import_at)
        run_import(port, fixture, record, result)

    upload = threading.Thread(target=importer)
    for thread in [*threads, upload]:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    upload.join()
    return record, result, elapsed


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(var_dir: Path) -> dict[str, str]:
    """The demo's environment (DANGOL_DEMO=1) on SQLite in `var_dir`."""
    dropped = {"DANGOL_TESTING", "DATABASE_URL", "REDIS_URL", "PORT", "SITE_URL",
               "DANGOL_HUEY_IMMEDIATE", "DANGOL_CACHE_DIR", "DANGOL_CLOCK_OFFSET_SECONDS"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(DANGOL_VAR_DIR=str(var_dir), DANGOL_DEMO="1", PYTHONPATH=str(HERE.parent / "src"),
               DJANGO_SETTINGS_MODULE="dangol.config.settings", WEB_CONCURRENCY="2")
    return env


def wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    probe = Client(port, Record())
    while probe.request("healthz", "GET", "/healthz", timeout=5, note=False)[0] != 200:
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("server did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.3)


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def report(
    record: Record, result: ImportRun, elapsed: float, locked: int, limit: float
) -> tuple[int, float]:
    """Print the figures; return (server errors, p99 seconds of the non-import requests)."""
    print(f"\n{'kind':<24}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    every: list[float] = []
    server_errors = 0
    for kind, outcome in sorted(record.outcomes.items()):
        every += outcome.latencies
        server_errors += sum(n for status, n in outcome.statuses.items()
                             if status >= 500 or status == 0)
        statuses = " ".join(f"{s}×{n}" for s, n in sorted(outcome.statuses.items()))
        print(f"{kind:<24}{len(outcome.latencies):>9}"
              f"{percentile(outcome.latencies, .5) * 1000:>9.0f}"
              f"{percentile(outcome.latencies, .95) * 1000:>9.0f}"
              f"{percentile(outcome.latencies, .99) * 1000:>9.0f}  {statuses}")
        if outcome.first_error:
            print(f"    first server error: {outcome.first_error}")
    p99 = percentile(every, .99)
    print(f"{'all but the import':<24}{len(every):>9}{percentile(every, .5) * 1000:>9.0f}"
          f"{percentile(every, .95) * 1000:>9.0f}{p99 * 1000:>9.0f}  "
          f"({len(every) / elapsed:.1f} req/s over {elapsed:.1f} s)")
    during = [seconds for began, seconds in record.timeline
              if result.began <= began <= result.ended]
    print(f"{'  while importing':<24}{len(during):>9}{percentile(during, .5) * 1000:>9.0f}"
          f"{percentile(during, .95) * 1000:>9.0f}{percentile(during, .99) * 1000:>9.0f}  "
          f"(requests sent between the upload and the import's result)")
    print(f"\nserver errors (5xx or no answer): {server_errors}")
    print(f"'database is locked' in the server's log: {locked}")
    print(f"p99 of the other requests: {p99 * 1000:.0f} ms "
          f"(limit {f'{limit * 1000:.0f} ms' if limit else 'not checked'})")
    print(f"import: {result.rows:,} rows, upload answered in {result.upload_seconds:.2f} s "
          f"(status {result.status}), done after {result.seconds:.2f} s, "
          f"{result.followed:,} new regulars" + (f"; ERROR {result.error}" if result.error else ""))
    return server_errors, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true",
                        help="8 clients, 15 s, 2,000 rows at 5 s (the test's run)")
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--import-at", type=float, default=20.0)
    parser.add_argument("--p99-limit", type=float, default=P99_LIMIT_S,
                        help="seconds; 0 prints the p99 without failing on it (the test)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.short:
        args.clients, args.seconds, args.import_rows, args.import_at = 8, 15.0, 2_000, 5.0

    temp = Path(tempfile.mkdtemp(prefix="dangol-bench-load-"))
    var_dir = temp / "var"
    env = environment(var_dir)
    log = temp / "demo.log"
    server = None
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dangol", "demo", "--no-serve"], env=env,
                       check=True, stdout=subprocess.DEVNULL, timeout=600)
        fixture_file = temp / "fixture.json"
        subprocess.run([sys.executable, str(HERE / "market_load_setup.py"), str(fixture_file)],
                       env=env, check=True, timeout=600)
        fixture = json.loads(fixture_file.read_text())
        print(f"demo migrated and seeded, load fixture ready in "
              f"{time.perf_counter() - started:.1f} s")

        port = free_port()
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "dangol", "demo", "--port", str(port), "--workers", "2"],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_for(port, server, log)
        print(f"`dangol demo` on 127.0.0.1:{port}: gunicorn 2 sync workers + Huey consumer; "
              f"{args.clients} clients for {args.seconds:.0f} s, {args.import_rows:,}-row "
              f"import at {args.import_at:.0f} s; {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}")
        record, result, elapsed = drive(
            port, fixture, clients=args.clients, seconds=args.seconds,
            import_at=args.import_at, import_rows=args.import_rows,
        )
        # Let the consumer finish what the run queued before the database is checked.
        time.sleep(2)
        stop(server)
        locked = len(LOCKED.findall(log.read_text(errors="replace")))
        server_errors, p99 = report(record, result, elapsed, locked, args.p99_limit)

        from market_load_checks import run_checks

        failures = run_checks(var_dir=var_dir, env=env, record=record)
        if server_errors:
            failures.append(f"{server_errors} server errors")
        if locked:
            failures.append(f"{locked} 'database is locked' in the log")
        if args.p99_limit and p99 > args.p99_limit:
            failures.append(f"p99 {p99 * 1000:.0f} ms > {args.p99_limit * 1000:.0f} ms")
        if result.error or result.followed != result.rows:
            failures.append(f"import: {result.error or f'{result.followed} new regulars'}")
        for failure in failures:
            print(f"FAILED: {failure}")
        total = sum(len(outcome.latencies) for outcome in record.outcomes.values())
        print(f"BENCH market_load clients={args.clients} seconds={elapsed:.0f} requests={total} "
              f"server_errors={server_errors} locked={locked} p99_ms={p99 * 1000:.0f} "
              f"import_rows={result.rows} import_s={result.seconds:.2f} "
              f"checks={'failed' if failures else 'ok'}")
        return 1 if failures else 0
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            print(f"kept {temp}", file=sys.stderr)
        else:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
