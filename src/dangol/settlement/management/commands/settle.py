"""`dangol settle run --policy ID --cutoff 2026-11-30T23:59`, `dangol settle fast [--day
2026-11-30]` (빠른정산) and `dangol settle csv RUN_ID`."""

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dangol.core import clock
from dangol.core.clock import KST
from dangol.core.errors import DangolError
from dangol.core.money import format_won
from dangol.settlement import cycles, exports, services
from dangol.settlement.models import SettlementPolicy, SettlementRun


def parse_cutoff(text: str) -> dt.datetime:
    """Return the aware cut-off written in `text`; a time without an offset is KST."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(_("마감 시각 형식이 아닙니다: %(text)s") % {"text": text}) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=KST)


def fast_cutoff(day: str | None) -> dt.datetime:
    """Return the fast cut-off that ends the business day `day` (ISO date), or the latest
    one that has passed when `day` is None."""
    if day is None:
        return cycles.latest_fast_cutoff(clock.now())
    try:
        return cycles.fast_cutoff(dt.date.fromisoformat(day))
    except ValueError:
        raise CommandError(_("날짜 형식이 아닙니다: %(text)s") % {"text": day}) from None


class Command(BaseCommand):
    help = "정산을 실행하거나 이체 파일을 만듭니다. Run a settlement or export its transfers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        run = actions.add_parser("run", help="정산 실행 / run (or resume) a settlement")
        run.add_argument("--policy", type=int, required=True)
        run.add_argument("--cutoff", required=True, help="2026-11-30T23:59 (KST)")
        fast = actions.add_parser(
            "fast", help="빠른정산 실행 / run (or resume) the fast settlement of a business day"
        )
        fast.add_argument(
            "--day", help="2026-11-30 (KST business day; default: the last one that has ended)"
        )
        csv = actions.add_parser("csv", help="이체 CSV / bank-transfer CSV of a run")
        csv.add_argument("run_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "csv":
            run = SettlementRun.objects.filter(pk=options["run_id"]).first()
            if run is None:
                raise CommandError(_("정산 실행이 없습니다: %(id)s") % {"id": options["run_id"]})
            self.stdout.write(exports.payouts_csv(run=run, actor=None), ending="")
            return
        try:
            if options["action"] == "fast":
                run = services.fast_settlement_run(cutoff=fast_cutoff(options["day"]))
            else:
                policy = SettlementPolicy.objects.filter(pk=options["policy"]).first()
                if policy is None:
                    raise CommandError(
                        _("정산 정책이 없습니다: %(id)s") % {"id": options["policy"]}
                    )
                run = services.settlement_run(
                    policy=policy, cutoff=parse_cutoff(options["cutoff"])
                )
        except DangolError as error:
            raise CommandError(error.message) from error
        total = sum(run.payouts.values_list("net", flat=True))
        self.stdout.write(
            _("%(kind)s #%(id)s: %(count)s건, 지급 합계 %(total)s, 지급일 %(date)s")
            % {
                "kind": run.get_kind_display(),
                "id": run.pk,
                "count": run.payouts.count(),
                "total": format_won(total),
                "date": run.payout_date.isoformat(),
            }
        )
