"""HTTP benchmark: a store page against a trivial view, on the same server, in one run.

Seeds the 반송큰시장 demo into a temporary DANGOL_VAR_DIR (SQLite), starts `dangol serve`
with production settings (DEBUG off, gunicorn, whitenoise, the Huey consumer beside it),
then loads the store page (/stores/<id>/ of the seeded store with the most products and
some posts) and /healthz with the same number of client threads, connections not kept
alive, in alternating rounds so that machine noise falls on both. Every response must be a
200, and every store page must contain the store's name, or the run fails.

Last line: BENCH http store_rps=<a> trivial_rps=<b> ratio=<a/b> store_p99_ms=<p>
(DESIGN.md §7: ratio ≥ 0.5).

    .venv/bin/python bench/http.py [--seconds 10] [--concurrency 8] [--workers 2]
"""

import argparse
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 60
REQUEST_TIMEOUT = 10
WARMUP_SECONDS = 2.0


@dataclass
class Load:
    """What one path answered over all the rounds."""

    path: str
    must_contain: bytes | None
    ok: int = 0
    errors: int = 0
    first_error: str = ""
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
        return ordered[index] * 1000


def environment(var_dir: Path, workers: int) -> dict[str, str]:
    """Return a production-like environment on SQLite in `var_dir` (a staging site: the
    sandbox card provider and the outbox allowed)."""
    env = {
        key: value for key, value in os.environ.items()
        if key not in {"DANGOL_DEMO", "DANGOL_TESTING", "DATABASE_URL", "REDIS_URL", "PORT",
                       "DANGOL_HUEY_IMMEDIATE"}
    }
    env.update(
        DANGOL_VAR_DIR=str(var_dir), WEB_CONCURRENCY=str(workers), DANGOL_ALLOW_SANDBOX="1",
        SITE_URL="https://staging.example.kr",
    )
    return env


def dangol(*args: str, env: dict[str, str], timeout: float = 300) -> None:
    subprocess.run(
        [sys.executable, "-m", "dangol", *args], env=env, check=True, timeout=timeout,
        stdout=subprocess.DEVNULL,
    )


def featured_store(var_dir: Path) -> tuple[int, str, int, int]:
    """Return (id, name, products, posts) of the seeded store with the most products and
    at least one post."""
    with sqlite3.connect(var_dir / "dangol.sqlite3") as db:
        row = db.execute(
            """
            SELECT s.id, s.name,
                   (SELECT count(*) FROM places_product p WHERE p.store_id = s.id) AS products,
                   (SELECT count(*) FROM places_post p WHERE p.store_id = s.id) AS posts
            FROM places_store s
            WHERE s.is_active
            ORDER BY posts > 0 DESC, products DESC, posts DESC, s.id
            LIMIT 1
            """
        ).fetchone()
    if row is None or row[3] == 0:
        raise SystemExit("no seeded store with products and posts")
    return row


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port: int, path: str) -> tuple[int, bytes]:
    """GET `path` on a new connection (no keep-alive); return the status and the body."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        "Accept-Language: ko\r\nUser-Agent: dangol-bench\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    head, _, body = response.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0]
    parts = status_line.split()
    return (int(parts[1]) if len(parts) > 1 else 0), body


def run_phase(port: int, load: Load, *, seconds: float, concurrency: int,
              record: bool = True) -> None:
    """Load `load.path` with `concurrency` threads for `seconds`; add to `load` if `record`."""
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        ok, errors, first_error, latencies = 0, 0, "", []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, body = fetch(port, load.path)
            except OSError as exc:
                status, body = 0, str(exc).encode()
            elapsed = time.perf_counter() - started
            if status == 200 and (load.must_contain is None or load.must_contain in body):
                ok += 1
                latencies.append(elapsed)
            else:
                errors += 1
                first_error = first_error or f"status {status}: {body[:200]!r}"
        if record:
            with lock:
                load.ok += ok
                load.errors += errors
                load.first_error = load.first_error or first_error
                load.latencies.extend(latencies)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if record:
        load.seconds += time.perf_counter() - started


def wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if fetch(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("server did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.2)


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per load")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var directory")
    args = parser.parse_args()

    temp = Path(tempfile.mkdtemp(prefix="dangol-bench-http-"))
    var_dir = temp / "var"
    env = environment(var_dir, args.workers)
    server = None
    try:
        started = time.perf_counter()
        dangol("migrate", "--verbosity=0", env=env)
        dangol("collectstatic", "--noinput", "--verbosity=0", env=env)
        prepared = time.perf_counter()
        dangol("seed_demo", env=env)
        seeded = time.perf_counter()
        print(f"migrate+collectstatic {prepared - started:.1f}s, "
              f"seed_demo {seeded - prepared:.1f}s")
        store_id, store_name, products, posts = featured_store(var_dir)
        print(f"store page /stores/{store_id}/ ({store_name}: {products} products, {posts} posts)")

        port = free_port()
        log = temp / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "dangol", "serve", "--port", str(port),
                 "--workers", str(args.workers), "--no-access-log"],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        wait_for(port, server, log)
        print(f"gunicorn with {args.workers} workers on 127.0.0.1:{port}, DEBUG off; "
              f"{args.concurrency} client threads, no keep-alive, {os.cpu_count()} CPUs")

        store = Load(f"/stores/{store_id}/", store_name.encode())
        trivial = Load("/healthz", b"ok")
        for load in (store, trivial):
            run_phase(port, load, seconds=WARMUP_SECONDS, concurrency=args.concurrency,
                      record=False)
        phase = args.seconds / args.rounds
        for round_no in range(args.rounds):
            order = (store, trivial) if round_no % 2 == 0 else (trivial, store)
            for load in order:
                before_ok, before_s = load.ok, load.seconds
                run_phase(port, load, seconds=phase, concurrency=args.concurrency)
                rate = (load.ok - before_ok) / (load.seconds - before_s)
                print(f"round {round_no + 1} {load.path:<14} {rate:8.1f} req/s")

        for load in (store, trivial):
            if load.errors:
                raise SystemExit(f"{load.path}: {load.errors} bad responses; first: "
                                 f"{load.first_error}")
            print(f"{load.path:<14} {load.ok:6d} requests {load.rps:8.1f} req/s  "
                  f"p50 {load.percentile_ms(0.50):6.1f} ms  p99 {load.percentile_ms(0.99):6.1f} ms")
        ratio = store.rps / trivial.rps
        print(f"BENCH http store_rps={store.rps:.1f} trivial_rps={trivial.rps:.1f} "
              f"ratio={ratio:.2f} store_p99_ms={store.percentile_ms(0.99):.1f}")
    finally:
        if server is not None:
            stop(server)
        if not args.keep:
            shutil.rmtree(temp, ignore_errors=True)
        else:
            print(f"kept {temp}", file=sys.stderr)


if __name__ == "__main__":
    main()
