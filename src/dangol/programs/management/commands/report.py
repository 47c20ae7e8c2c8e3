"""`dangol report programs [--json]`: each program's budget, committed, spent, remaining
(integer won), grants, benefits and enrolled markets."""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from dangol.core.money import format_won
from dangol.programs.models import Program
from dangol.programs.selectors import programs_figures


def programs_report() -> list[dict[str, Any]]:
    """Return one dict per program, in id order (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    programs = list(
        Program.objects.select_related("operator").prefetch_related("benefits").order_by("id")
    )
    all_figures = programs_figures(programs=programs)
    for program in programs:
        figures = all_figures[program.pk]
        rows.append({
            "name": program.name,
            "operator": program.operator.name,
            "budget": figures.budget,
            "committed": figures.committed,
            "spent": figures.spent,
            "remaining": figures.remaining,
            "grants": figures.grants,
            "benefits": [
                {"kind": benefit.kind, "amount": benefit.amount}
                for benefit in sorted(program.benefits.all(), key=lambda b: b.pk)
            ],
            "enrolled_markets": figures.enrolled_markets,
        })
    return rows


class Command(BaseCommand):
    help = "상생 사업 보고서를 출력합니다. Print reports (programs)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        reports = parser.add_subparsers(dest="report", required=True)
        programs = reports.add_parser(
            "programs", help="사업별 예산·집행 / each program's budget and grants"
        )
        programs.add_argument("--json", action="store_true", help="JSON 목록으로 출력")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = programs_report()
        if options.get("json"):
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                _("%(name)s (%(operator)s): 예산 %(budget)s, 지원 %(committed)s, "
                  "사용 %(spent)s, 남은 예산 %(remaining)s, 지급 %(grants)s건, "
                  "참여 시장 %(markets)s곳")
                % {
                    "name": row["name"], "operator": row["operator"],
                    "budget": format_won(row["budget"]),
                    "committed": format_won(row["committed"]),
                    "spent": format_won(row["spent"]),
                    "remaining": format_won(row["remaining"]),
                    "grants": row["grants"], "markets": row["enrolled_markets"],
                }
            )
