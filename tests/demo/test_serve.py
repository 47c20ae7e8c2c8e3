"""`dangol serve` runs gunicorn and the Huey consumer, and stops both on a signal.

These start the real command as a subprocess on a free port with its own DANGOL_VAR_DIR
(a fresh SQLite database), and look for leftovers by that marker in /proc.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.processes import production_environ

pytestmark = [
    pytest.mark.xdist_group("serve"),
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc"),
]

START_TIMEOUT = 90
STOP_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_marked(marker: str) -> list[int]:
    """Return the ids of live processes whose environment contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and marker.encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def wait_until_gone(marker: str, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := processes_marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def serve_environment(var_dir: Path) -> dict[str, str]:
    """Return a production-like environment (no demo, no test mode) on SQLite in `var_dir`,
    with the sandbox and the outbox allowed as on a staging site."""
    env = production_environ("DANGOL_DEMO", "DATABASE_URL", "REDIS_URL", "PORT")
    env.update(
        DANGOL_VAR_DIR=str(var_dir), WEB_CONCURRENCY="2", DANGOL_ALLOW_SANDBOX="1",
        SITE_URL="https://staging.example.kr",
    )
    return env


@pytest.fixture(scope="module")
def prepared_var_dir(tmp_path_factory):
    """A var directory migrated and with static files collected, once for the module."""
    var_dir = tmp_path_factory.mktemp("prepared") / "var"
    env = serve_environment(var_dir)
    for command in (["migrate", "--verbosity=0"], ["collectstatic", "--noinput", "--verbosity=0"]):
        subprocess.run(
            [sys.executable, "-m", "dangol", *command], env=env, check=True, timeout=120
        )
    return var_dir


@pytest.fixture
def server(tmp_path, prepared_var_dir):
    """Start `dangol serve --migrate` on a copy of the prepared var directory and wait until
    /healthz answers; yield the process, the marker of its processes, and its log."""
    port = free_port()
    var_dir = tmp_path / "var"
    shutil.copytree(prepared_var_dir, var_dir)
    env = serve_environment(var_dir)
    marker = f"DANGOL_VAR_DIR={var_dir}"
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "dangol", "serve", "--migrate", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + START_TIMEOUT
    while not answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("serve did not start:\n" + (tmp_path / "serve.log").read_text())
        time.sleep(0.3)
    try:
        yield process, marker, tmp_path / "serve.log"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in processes_marked(marker):
            os.kill(pid, signal.SIGKILL)
        log.close()


def test_serve_runs_gunicorn_and_the_huey_consumer(server):
    process, marker, _log = server

    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in processes_marked(marker)]

    assert any(b"gunicorn" in command for command in commands)
    assert any(b"run_huey" in command for command in commands)


def test_sigint_stops_gunicorn_and_the_consumer_without_orphans(server):
    process, marker, log = server

    process.send_signal(signal.SIGINT)
    status = process.wait(timeout=STOP_TIMEOUT)

    assert status == 0, log.read_text()
    assert wait_until_gone(marker, timeout=5) == []
    assert "Consumer exiting" in log.read_text()


def test_sigterm_stops_everything_too(server):
    process, marker, log = server

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=STOP_TIMEOUT) == 0, log.read_text()
    assert wait_until_gone(marker, timeout=5) == []


def test_children_stop_when_the_supervisor_is_killed(server):
    process, marker, _log = server

    process.kill()  # SIGKILL: no chance to clean up; the children must notice on their own
    process.wait()

    assert wait_until_gone(marker, timeout=STOP_TIMEOUT) == []


def test_a_web_server_that_cannot_start_stops_the_consumer_and_fails(tmp_path, prepared_var_dir):
    var_dir = tmp_path / "var"
    shutil.copytree(prepared_var_dir, var_dir)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = subprocess.run(
            [sys.executable, "-m", "dangol", "serve", "--port", str(port)],
            env=serve_environment(var_dir), capture_output=True, text=True, timeout=60,
        )

    assert result.returncode == 1
    assert "gunicorn" in result.stdout
    assert wait_until_gone(f"DANGOL_VAR_DIR={var_dir}", timeout=5) == []
