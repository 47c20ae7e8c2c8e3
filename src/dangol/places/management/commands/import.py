"""`dangol import regions|markets|facilities FILE`: load the national data files."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangol.core.errors import DangolError
from dangol.places.importers.facilities import market_facilities_import
from dangol.places.importers.markets import markets_import
from dangol.places.importers.reading import ImportReport
from dangol.places.importers.regions import regions_import
from dangol.places.models import Region

# How a market's 시군구 was found, as ImportReport.resolutions counts it.
RESOLUTION_LABELS = {
    "exact": gettext_lazy("주소 그대로"),
    "successor": gettext_lazy("옛 지역 이름 → 현행 지역"),
    "single_tier": gettext_lazy("시군구 없는 시도(세종)"),
    "lot_address": gettext_lazy("지번주소로"),
    "corrected_spacing": gettext_lazy("띄어쓰기 바로잡음"),
    "corrected_typo": gettext_lazy("오기 바로잡음"),
    "corrected_abbreviation": gettext_lazy("줄여 쓴 구 이름"),
    "city_without_gu": gettext_lazy("구 없이 시만 적힌 주소"),
}


def number(value: int) -> str:
    return f"{value:,}"


class Command(BaseCommand):
    help = (
        "공공데이터 파일을 가져옵니다: regions(법정동코드 전체자료), markets(전국전통시장표준"
        "데이터, CP949 CSV), facilities(전통시장현황의 편의시설, CP949 CSV). 다시 실행하면 같은 "
        "행을 갱신합니다. Import the legal-dong code list (regions), the national list of "
        "traditional markets (markets) or their facilities; running again updates in place."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "dataset", choices=["regions", "markets", "facilities"],
            help="regions: 법정동코드 파일 / markets: 전통시장 표준데이터 (regions 먼저) / "
            "facilities: 전통시장현황 (markets 먼저)",
        )
        parser.add_argument("file", help="가져올 파일 경로 / path of the file")

    def handle(self, *args: Any, **options: Any) -> None:
        dataset = options["dataset"]
        service = {
            "regions": regions_import,
            "markets": markets_import,
            "facilities": market_facilities_import,
        }[dataset]
        try:
            report = service(file=options["file"])
        except DangolError as error:
            raise CommandError(error.message) from error
        if dataset == "regions":
            self.write_regions_summary(report)
        elif dataset == "markets":
            self.write_markets_summary(report, verbosity=options["verbosity"])
        else:
            self.stdout.write(
                _("편의시설 %(total)s개 시장 처리: 갱신 %(updated)s, 변경 없음 %(unchanged)s, "
                  "거부 %(rejected)s")
                % self.counts(report)
            )
        self.write_problems(report)

    def write_regions_summary(self, report: ImportReport) -> None:
        self.stdout.write(
            _("지역 %(total)s개 처리: 새로 만듦 %(created)s, 갱신 %(updated)s, 변경 없음 "
              "%(unchanged)s, 거부 %(rejected)s (읍면동 %(skipped)s줄은 건너뜀)")
            % self.counts(report, skipped=number(report.skipped))
        )
        current = Region.objects.filter(is_active=True)
        self.stdout.write(
            _("현행 시도 %(sido)s개, 현행 시군구 %(sigungu)s개")
            % {
                "sido": number(current.filter(level=Region.Level.SIDO).count()),
                "sigungu": number(current.filter(level=Region.Level.SIGUNGU).count()),
            }
        )

    def write_markets_summary(self, report: ImportReport, *, verbosity: int) -> None:
        self.stdout.write(
            _("시장 %(total)s개 처리: 새로 만듦 %(created)s, 갱신 %(updated)s, 변경 없음 "
              "%(unchanged)s, 거부 %(rejected)s")
            % self.counts(report)
        )
        if report.absent:
            self.stdout.write(
                _("이 파일에 없는 기존 시장 %(absent)s개는 그대로 두었습니다.")
                % {"absent": number(report.absent)}
            )
        if verbosity >= 2:
            for kind, count in report.resolutions.most_common():
                self.stdout.write(
                    _("  시군구 찾기 – %(how)s: %(count)s")
                    % {"how": RESOLUTION_LABELS.get(kind, kind), "count": number(count)}
                )
            for label, count in report.reconciled.most_common():
                self.stdout.write(
                    _("  지역 변경 반영 – %(change)s: %(count)s")
                    % {"change": label, "count": number(count)}
                )

    def write_problems(self, report: ImportReport) -> None:
        for problem in report.rejected:
            self.stdout.write(self.style.WARNING(
                _("  %(line)s번째 줄 거부: %(reason)s")
                % {"line": problem.line, "reason": problem.reason}
            ))
        for problem in report.corrected:
            self.stdout.write(
                _("  %(line)s번째 줄 바로잡음: %(reason)s")
                % {"line": problem.line, "reason": problem.reason}
            )

    @staticmethod
    def counts(report: ImportReport, **extra: str) -> dict[str, str]:
        return {
            "total": number(report.total),
            "created": number(report.created),
            "updated": number(report.updated),
            "unchanged": number(report.unchanged),
            "rejected": number(len(report.rejected)),
            **extra,
        }
