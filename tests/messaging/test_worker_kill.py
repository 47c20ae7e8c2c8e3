"""A dispatch worker killed with SIGKILL in the middle of an SMS batch and restarted (issue 5,
"Done when"): the local SMS server, which like NHN delivers a repeated idempotency key
again, has accepted every delivery exactly once, none is lost, and the test reports how many
repeated attempts it saw.

The worker is a real child process running the dispatch loop (`deliveries_dispatch` batch
after batch, as the Huey task does) against the local NHN Cloud SMS server of
tests/messaging/sms_server.py, which runs in this test process. When the server accepts the
KILL_AT-th message it kills the worker with SIGKILL before answering: that message is
accepted but the worker never records it, and the rest of its claimed batch stays `sending`
under a lease. The restarted worker sends the queued rows, waits for the lease (2 s here)
to run out, claims the dead worker's batch again and repeats the unanswered message with
the same key, looking the key up first: the server has it, so it is not sent twice.

PostgreSQL: the rows are written by the test into the test database (committed,
`transaction=True`) and the child connects to it. SQLite: pytest-django's test database is
in memory, invisible to another process, so the SQLite variant migrates and seeds a database
file in `tmp_path` from a child process and reads the outcome through one.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from tests.messaging.sms_server import APP_KEY, SECRET_KEY, SENDER, FakeNhnSms

DELIVERIES = 300
BATCH = 50
KILL_AT = 70  # the 20th message of the second batch
LEASE_SECONDS = 2
# The killed worker's second batch (rows 51–100): 51–69 recorded sent, 70–100 left sending.
LEFT_SENDING = 2 * BATCH - (KILL_AT - 1)
REPO = Path(__file__).resolve().parents[2]


def seed(n: int = DELIVERIES) -> list[int]:
    """Queue `n` SMS deliveries of one system notice; return their ids."""
    from dangol.core import clock
    from dangol.messaging.models import Campaign, Channel, Delivery

    now = clock.now()
    campaign = Campaign.objects.create(
        kind=Campaign.Kind.INFO, template=Campaign.Template.VOUCHER_RECEIVED,
        body="단골 상품권이 도착했습니다.", audience=Campaign.Audience.DIRECT,
        channels=[Channel.SMS], scheduled_at=now, status=Campaign.Status.SENT, sent_at=now,
        idempotency_key=f"kill-{uuid.uuid4().hex}",
    )
    rows = Delivery.objects.bulk_create(
        Delivery(
            campaign=campaign, channel=Channel.SMS, address=f"010{i:08d}",
            status=Delivery.Status.QUEUED, price=0, release_at=now,
            opt_out_token=uuid.uuid4().hex,
        )
        for i in range(n)
    )
    return [row.pk for row in rows]


def report() -> dict[str, Any]:
    from dangol.messaging.models import Delivery

    rows = Delivery.objects.order_by("pk").values_list("pk", "status", "attempts", "provider_id")
    return {"rows": [list(row) for row in rows]}


# --- the child process ------------------------------------------------------------------------


def child_main(argv: list[str]) -> None:
    """`migrate-seed` | `work SERVER_URL` | `report`; the database comes from DATABASE_URL."""
    from django.conf import settings
    from django.core.management import call_command

    action = argv[0]
    if action == "migrate-seed":
        call_command("migrate", verbosity=0)
        print(json.dumps(seed()))  # noqa: T201
        return
    if action == "report":
        print(json.dumps(report()))  # noqa: T201
        return
    if action != "work":
        raise SystemExit(f"unknown action {action}")
    from dangol.messaging.dispatch import deliveries_dispatch
    from dangol.messaging.models import Channel, Delivery

    settings.DANGOL_SMS_BACKEND = "dangol.core.sms.NhnCloudSms"
    settings.DANGOL_SMS_API_URL = argv[1]
    settings.DANGOL_SMS_API_KEY = APP_KEY
    settings.DANGOL_SMS_API_SECRET = SECRET_KEY
    settings.DANGOL_SMS_SENDER = SENDER
    settings.DANGOL_SMS_TIMEOUT_SECONDS = 5
    settings.DANGOL_MESSAGING_LEASE_SECONDS = LEASE_SECONDS
    settings.DANGOL_MESSAGING_RATE_PER_SECOND = {"sms": 10_000, "email": 10_000}
    deadline = time.monotonic() + 90
    waiting = [Delivery.Status.QUEUED, Delivery.Status.SENDING]
    while Delivery.objects.filter(channel=Channel.SMS, status__in=waiting).exists():
        if time.monotonic() > deadline:
            raise SystemExit("deliveries still waiting after 90 s")
        if not deliveries_dispatch(channel=Channel.SMS, limit=BATCH).claimed:
            time.sleep(0.1)  # the rest is leased by a dead worker: wait for the lease


def child_command(database_url: str, *args: str) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DANGOL_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "dangol.config.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }
    command = [
        sys.executable, "-c",
        "import sys, django; django.setup(); "
        "from tests.messaging.test_worker_kill import child_main; child_main(sys.argv[1:])",
        *args,
    ]
    return command, env


def run_child(database_url: str, *args: str) -> str:
    command, env = child_command(database_url, *args)
    completed = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=150, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def kill_and_restart(database_url: str, server: FakeNhnSms) -> None:
    """Start a worker, let the server SIGKILL it at the KILL_AT-th acceptance, restart it
    and let it finish."""
    worker: dict[str, subprocess.Popen] = {}

    def kill_mid_batch(accepted: int) -> None:
        if accepted == KILL_AT:
            os.kill(worker["process"].pid, signal.SIGKILL)

    server.on_accept = kill_mid_batch
    command, env = child_command(database_url, "work", server.url)
    worker["process"] = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _out, err = worker["process"].communicate(timeout=150)
    assert worker["process"].returncode == -signal.SIGKILL, err[-3000:]
    assert len(server.accepted) == KILL_AT
    server.on_accept = None


def assert_exactly_once(ids: list[int], rows: list[list[Any]], server: FakeNhnSms) -> None:
    keys = [f"delivery-{pk}" for pk in ids]
    assert sorted(server.accepted) == sorted(keys)  # every delivery accepted…
    assert len(server.accepted_at) == DELIVERIES  # …and each exactly once
    assert [row[0] for row in rows] == ids
    assert {row[1] for row in rows} == {"sent"}  # none left queued or sending, none failed
    assert all(row[3] for row in rows)
    # The unanswered message was looked up at least once, and never sent again.
    assert server.repeats == 0
    assert any(request["method"] == "GET" for request in server.requests)
    repeated = len(server.requests) - DELIVERIES
    print(  # noqa: T201 - the figure the issue asks the test to report
        f"\nSIGKILL test ({connection.vendor}): {DELIVERIES} deliveries, worker killed at "
        f"message {KILL_AT}; server accepted {len(server.accepted)} once each; repeated "
        f"attempts seen by the server: {server.repeats} (requests beyond one per delivery: "
        f"{repeated}); rows tried twice: {sum(1 for row in rows if row[2] > 1)}"
    )


@pytest.fixture
def sms_server():
    server = FakeNhnSms()
    server.start()
    yield server
    server.stop()


def _test_database_url() -> str:
    settings = connection.settings_dict
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    host = settings["HOST"] or "localhost"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{settings['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_and_restarted_delivers_each_sms_once_postgres(
    sms_server: FakeNhnSms,
) -> None:
    from dangol.messaging.models import Delivery

    ids = seed()
    url = _test_database_url()

    kill_and_restart(url, sms_server)

    # The worker recorded every message before the one it was killed on.
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == KILL_AT - 1
    assert Delivery.objects.filter(status=Delivery.Status.SENDING).count() == LEFT_SENDING
    run_child(url, "work", sms_server.url)
    assert_exactly_once(ids, report()["rows"], sms_server)


@pytest.mark.django_db
def test_worker_killed_mid_batch_and_restarted_delivers_each_sms_once_sqlite(
    tmp_path: Path, sms_server: FakeNhnSms
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant (the PostgreSQL one is the test above)")
    url = f"sqlite:///{tmp_path / 'kill.sqlite3'}"
    ids = json.loads(run_child(url, "migrate-seed"))

    kill_and_restart(url, sms_server)

    after_kill = json.loads(run_child(url, "report"))["rows"]
    assert sum(1 for row in after_kill if row[1] == "sent") == KILL_AT - 1
    assert sum(1 for row in after_kill if row[1] == "sending") == LEFT_SENDING
    run_child(url, "work", sms_server.url)
    assert_exactly_once(ids, json.loads(run_child(url, "report"))["rows"], sms_server)
