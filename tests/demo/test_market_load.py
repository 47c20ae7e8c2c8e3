"""The market-load bench in its short form: the SQLite demo under 8 clients for 15 s with a
2,000-row customer-list import in the middle (bench/market_load.py --short).

It starts the real demo (gunicorn's 2 workers and the Huey consumer) on a fresh database in
a temporary folder, so it runs in `make test` as a smoke test of issue 12's acceptance line:
no server error, no "database is locked", the import done, and afterwards the ledger
verifies, every acknowledged redemption has one row, voucher balances add up and every
coupon claim key holds one coupon. Latency is printed, not asserted (timing belongs in
bench/; the full 24-client run's figures are in docs/benchmarks.md).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import production_environ

pytestmark = [
    pytest.mark.xdist_group("serve"),
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc"),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the bench runs the SQLite demo whatever the suite's database: the SQLite run "
               "covers it",
    ),
]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "market_load.py"


def test_short_market_load_keeps_money_and_answers_right():
    env = production_environ("DANGOL_DEMO", "DATABASE_URL", "REDIS_URL", "PORT")

    run = subprocess.run(
        [sys.executable, str(BENCH), "--short", "--p99-limit", "0"], env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )

    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    last = run.stdout.strip().splitlines()[-1]
    assert "server_errors=0 locked=0" in last, output
    assert "import_rows=2000" in last and last.endswith("checks=ok"), output
    assert "check redemptions:" in output and "0 doubles" in output, output
