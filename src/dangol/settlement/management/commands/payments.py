"""`dangol payments reconcile`: compare what the payment provider holds with the ledger's
cash and exit non-zero on any difference or unanswered operation."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dangol.core.money import format_won
from dangol.settlement.payments_reconcile import payments_reconcile


class Command(BaseCommand):
    help = "결제 대사 보고서(reconcile): 결제 대행사 기록과 원장의 현금을 비교합니다."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "reconcile",
            help="결제 기록과 원장 현금 비교 / compare payments with the ledger's cash",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = payments_reconcile()
        self.stdout.write(
            _("결제 대사 (payments reconcile): 결제 대행사 %(provider)s, 원장 %(ledger)s, "
              "차이 %(difference)s, 응답 대기 결제 %(payments)s건, 응답 대기 처리 "
              "%(operations)s건")
            % {
                "provider": format_won(report.provider_net),
                "ledger": format_won(report.ledger_net),
                "difference": format_won(report.difference),
                "payments": report.pending_payments,
                "operations": report.pending_operations,
            }
        )
        if not report.ok:
            raise CommandError(_("결제 대사 실패: 차이가 있습니다. (payments reconcile failed)"))
