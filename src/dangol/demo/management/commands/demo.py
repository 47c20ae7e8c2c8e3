"""`dangol demo`: migrate, seed 반송큰시장, print the logins, serve with the worker."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dangol.demo.console import format_logins, format_report
from dangol.demo.runtime import demo_environment, options_from_env, prepare, serve, site_url
from dangol.demo.seed import demo_logins, demo_seed


class Command(BaseCommand):
    # The demo is where the sandbox and the outbox belong: the production checks of
    # dangol.core.checks do not apply to it (its children run with DANGOL_DEMO=1).
    requires_system_checks: list[str] = []
    help = (
        "데모를 실행합니다: 데이터베이스를 준비하고 반송큰시장 데모 데이터를 만든 뒤(이미 있으면 "
        "그대로 둡니다) 로그인 정보를 보여 주고 웹 서버와 작업자를 함께 실행합니다."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="bind address (HOST, default 127.0.0.1)")
        parser.add_argument("--port", type=int, help="port (PORT, default 8000)")
        parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY, 2)")
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare and seed, print the logins, exit"
        )

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        serve_options = options_from_env(
            host=options["host"], port=options["port"], workers=options["workers"]
        )
        if not settings.DEMO:
            self.say(_("DANGOL_DEMO=1 없이 실행했습니다: 서버는 데모 모드(DEBUG)로 실행합니다."))
        prepare(migrate=True, collectstatic=True, say=self.say)
        report = demo_seed(stdout=self.stdout)
        self.say(format_report(report))
        url = site_url(serve_options)
        self.say("")
        self.say(_("단골 데모: %(url)s") % {"url": url})
        self.say(format_logins(demo_logins()))
        # The log never shows a one-time code (dangol.core.sms): the outbox page does.
        self.say(_("비밀번호는 모두 같습니다. 고객 인증번호는 %(url)s/dev/outbox/ 에 "
                   "표시됩니다.") % {"url": url})
        self.say("")
        if options["no_serve"]:
            return
        status = serve(
            options=serve_options, say=self.say, env_overrides=demo_environment(serve_options)
        )
        if status != 0:
            raise CommandError(_("서버 프로세스가 예기치 않게 종료되었습니다."))
