"""`dangol serve`: the web server (gunicorn) and the Huey consumer, for production."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dangol.demo.runtime import options_from_env, prepare, serve


class Command(BaseCommand):
    help = (
        "웹 서버(gunicorn)와 백그라운드 작업자(Huey)를 함께 실행합니다. Ctrl-C나 SIGTERM으로 "
        "둘 다 멈춥니다. HOST, PORT, WEB_CONCURRENCY, WEB_THREADS 환경 변수를 따릅니다."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="bind address (HOST, default 127.0.0.1)")
        parser.add_argument("--port", type=int, help="port (PORT, default 8000)")
        parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY, 2)")
        parser.add_argument("--threads", type=int, help="threads per worker (WEB_THREADS, 1)")
        parser.add_argument("--migrate", action="store_true", help="run migrate first")
        parser.add_argument(
            "--collectstatic", action="store_true",
            help="run collectstatic first (it also runs when the static manifest is missing)",
        )
        parser.add_argument(
            "--no-worker", action="store_true",
            help="do not start the Huey consumer (run `dangol run_huey` elsewhere)",
        )
        parser.add_argument("--no-access-log", action="store_true", help="no access log")

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        serve_options = options_from_env(
            host=options["host"], port=options["port"], workers=options["workers"],
            threads=options["threads"], access_log=not options["no_access_log"],
            worker=not options["no_worker"],
        )
        prepare(migrate=options["migrate"], collectstatic=options["collectstatic"], say=self.say)
        if serve(options=serve_options, say=self.say) != 0:
            raise CommandError(_("서버 프로세스가 예기치 않게 종료되었습니다."))
