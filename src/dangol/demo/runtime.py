"""Run the web server (gunicorn) and the background worker (the Huey consumer) together.

Both run as child processes, each in its own session, so a terminal's Ctrl-C reaches only
this supervisor, which then stops them in order: gunicorn gets SIGTERM (finish requests in
flight, then stop its workers), the consumer SIGINT (finish running tasks). Whoever is
still alive after the grace period is killed with its whole process group; a second Ctrl-C
kills at once. On Linux each child also gets SIGTERM if the supervisor itself dies, so no
process is left behind even then. If either child exits on its own, the other is stopped
too and the supervisor exits with an error.
"""

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command
from django.utils.translation import gettext as _

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_WORKERS = 2
# gunicorn's own graceful timeout, and how long we wait for both children before killing.
GRACEFUL_SECONDS = 10
STOP_TIMEOUT_SECONDS = 20

_PR_SET_PDEATHSIG = 1
# gunicorn writes only its workers' heartbeat files here (its documented container advice).
SHM_DIR = "/dev/shm"  # noqa: S108


@dataclass(frozen=True)
class ServeOptions:
    """Where and how to serve: bind address and the number of gunicorn workers/threads."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = DEFAULT_WORKERS
    threads: int = 1
    access_log: bool = True
    worker: bool = True


def options_from_env(
    *, host: str | None = None, port: int | None = None, workers: int | None = None,
    threads: int | None = None, access_log: bool = True, worker: bool = True,
) -> ServeOptions:
    """Return serve options: explicit values first, then HOST, PORT, WEB_CONCURRENCY and
    WEB_THREADS from the environment, then the defaults (127.0.0.1:8000, 2 workers)."""
    return ServeOptions(
        host=host or os.environ.get("HOST") or DEFAULT_HOST,
        port=port or int(os.environ.get("PORT") or DEFAULT_PORT),
        workers=workers or int(os.environ.get("WEB_CONCURRENCY") or DEFAULT_WORKERS),
        threads=threads or int(os.environ.get("WEB_THREADS") or 1),
        access_log=access_log,
        worker=worker,
    )


def site_url(options: ServeOptions) -> str:
    """Return the address people open in a browser."""
    host = options.host
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 -- naming the wildcard, not binding to it
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{options.port}"


def demo_environment(options: ServeOptions) -> dict[str, str]:
    """Return what the demo's children add to the environment: demo mode, and SITE_URL at
    the address being served unless SITE_URL is set."""
    overrides = {"DANGOL_DEMO": "1"}
    if not os.environ.get("SITE_URL"):
        overrides["SITE_URL"] = site_url(options)
    return overrides


def gunicorn_command(options: ServeOptions) -> list[str]:
    """Return the command line that starts gunicorn on dangol's WSGI application."""
    host = options.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    command = [
        sys.executable, "-m", "gunicorn", "dangol.config.wsgi:application",
        "--bind", f"{host}:{options.port}",
        "--workers", str(options.workers),
        "--threads", str(options.threads),
        "--graceful-timeout", str(GRACEFUL_SECONDS),
        "--error-logfile", "-",
    ]
    if options.access_log:
        command += ["--access-logfile", "-"]
    if os.path.isdir(SHM_DIR):
        # Workers' heartbeat files on tmpfs: a slow disk must not make them look dead.
        command += ["--worker-tmp-dir", SHM_DIR]
    return command


def huey_command() -> list[str]:
    """Return the command line that starts the Huey consumer (`dangol run_huey`)."""
    return [sys.executable, "-m", "dangol", "run_huey"]


def child_environment(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment of the children: ours, pinned to this process's settings."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = os.environ.get(
        "DJANGO_SETTINGS_MODULE", "dangol.config.settings"
    )
    env["DANGOL_VAR_DIR"] = str(settings.VAR_DIR)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides or {})
    return env


def _die_with_parent() -> None:
    """In the child before exec: start a new session and ask Linux for SIGTERM when the
    supervisor dies (prctl PR_SET_PDEATHSIG); elsewhere just the new session."""
    os.setsid()
    if sys.platform.startswith("linux"):
        libc_name = ctypes.util.find_library("c")
        if libc_name:
            libc = ctypes.CDLL(libc_name, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


@dataclass
class Child:
    """One supervised process and the signal that stops it gracefully."""

    name: str
    process: subprocess.Popen[bytes]
    stop_signal: signal.Signals

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def signal_leader(self, signum: signal.Signals) -> None:
        """Send `signum` to the child itself; gunicorn then stops its own workers."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)

    def signal_group(self, signum: signal.Signals) -> None:
        """Send `signum` to the child's whole process group (gunicorn's workers too)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


class Supervisor:
    """Start children, wait for a stop signal or a child's exit, stop every child."""

    def __init__(self, *, say: Callable[[str], None]) -> None:
        self.say = say
        self.children: list[Child] = []
        self.signals_received = 0
        self._previous: dict[int, Any] = {}

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals_received += 1
        if self.signals_received > 1:
            self.say(_("강제 종료합니다."))

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def restore_signal_handlers(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def start(self, *, name: str, command: list[str], env: dict[str, str],
              stop_signal: signal.Signals) -> Child:
        # preexec_fn only calls setsid and prctl; the supervisor starts no threads.
        process = subprocess.Popen(  # noqa: S603 -- our own interpreter and fixed arguments
            command, env=env, preexec_fn=_die_with_parent,
        )
        child = Child(name=name, process=process, stop_signal=stop_signal)
        self.children.append(child)
        return child

    def wait(self, *, poll_seconds: float = 0.2) -> Child | None:
        """Block until a stop signal arrives (return None) or a child exits (return it)."""
        while not self.signals_received:
            for child in self.children:
                if not child.alive:
                    return child
            time.sleep(poll_seconds)
        return None

    def stop(self, *, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop every child gracefully, then kill what is left, and reap them all."""
        force_after = self.signals_received
        for child in self.children:
            child.signal_leader(child.stop_signal)
        deadline = time.monotonic() + timeout
        while any(child.alive for child in self.children):
            if time.monotonic() >= deadline or self.signals_received > force_after:
                break
            time.sleep(0.1)
        for child in self.children:
            # Also reaches a dead gunicorn master's stray workers in the same group.
            child.signal_group(signal.SIGKILL)
            child.process.wait()


def prepare(*, migrate: bool, collectstatic: bool, say: Callable[[str], None]) -> None:
    """Run migrate if asked, and collectstatic if asked or if the static manifest that the
    production storage needs is missing (every page would fail without it)."""
    if migrate:
        say(_("데이터베이스를 준비합니다 (migrate)…"))
        call_command("migrate", interactive=False, verbosity=0)
    if not collectstatic and isinstance(staticfiles_storage, ManifestFilesMixin):
        collectstatic = staticfiles_storage.read_manifest() is None
    if collectstatic:
        say(_("정적 파일을 모읍니다 (collectstatic)…"))
        call_command("collectstatic", interactive=False, verbosity=0)


def serve(
    *, options: ServeOptions, say: Callable[[str], None],
    env_overrides: dict[str, str] | None = None,
) -> int:
    """Serve dangol with gunicorn and the Huey consumer until SIGINT/SIGTERM; return the
    exit status (0 after a requested stop, 1 if a child stopped on its own)."""
    env = child_environment(env_overrides)
    supervisor = Supervisor(say=say)
    supervisor.install_signal_handlers()
    try:
        web = supervisor.start(
            name="gunicorn", command=gunicorn_command(options), env=env,
            stop_signal=signal.SIGTERM,
        )
        say(_("웹 서버 gunicorn (pid %(pid)d, 작업자 %(workers)d개)") % {
            "pid": web.process.pid, "workers": options.workers})
        if options.worker and not settings.HUEY.get("immediate"):
            consumer = supervisor.start(
                name="huey", command=huey_command(), env=env, stop_signal=signal.SIGINT
            )
            say(_("백그라운드 작업자 huey (pid %(pid)d)") % {"pid": consumer.process.pid})
        say(_("%(url)s 에서 서비스 중입니다. 멈추려면 Ctrl-C를 누르세요.") % {
            "url": site_url(options)})
        exited = supervisor.wait()
        if exited is not None:
            say(_("%(name)s 이(가) 종료되었습니다 (코드 %(code)s). 나머지를 멈춥니다.") % {
                "name": exited.name, "code": exited.process.returncode})
        else:
            say(_("종료하는 중입니다…"))
        supervisor.stop()
        say(_("모두 종료되었습니다."))
        return 0 if exited is None else 1
    finally:
        # Whatever happened above, no child outlives this function.
        for child in supervisor.children:
            if child.alive:
                child.signal_group(signal.SIGKILL)
                child.process.wait()
        supervisor.restore_signal_handlers()
