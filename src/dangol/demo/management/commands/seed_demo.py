"""`dangol seed_demo`: seed the 반송큰시장 demo data (idempotent) and print the logins."""

from typing import Any

from django.core.management.base import BaseCommand

from dangol.demo.console import format_logins, format_report
from dangol.demo.seed import demo_logins, demo_seed


class Command(BaseCommand):
    help = "반송큰시장 데모 데이터를 만듭니다. 다시 실행해도 중복으로 만들지 않습니다."

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_seed(stdout=self.stdout if options["verbosity"] > 1 else None)
        self.stdout.write(format_report(report))
        self.stdout.write(format_logins(demo_logins()))
