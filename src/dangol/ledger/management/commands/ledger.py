"""`dangol ledger verify`: recompute the whole ledger and exit non-zero on any difference."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dangol.core.money import format_won
from dangol.ledger.selectors import ledger_verify


class Command(BaseCommand):
    help = "원장을 검사합니다(verify). Check the ledger's invariants."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "verify",
            help="잔액을 분개 합계와 비교 / recompute balances from entries and compare",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = ledger_verify()
        self.stdout.write(
            _("원장 검사 (ledger verify): 계정 %(accounts)s개, 거래 %(transactions)s건, "
              "잔액 합계 %(total)s")
            % {
                "accounts": report.accounts,
                "transactions": report.transactions,
                "total": format_won(report.total_balance),
            }
        )
        for mismatch in report.balance_mismatches:
            self.stdout.write(
                _("잔액 불일치 (balance mismatch): 계정 #%(id)s %(name)s, 저장 %(stored)s, "
                  "분개 합계 %(summed)s")
                % {
                    "id": mismatch.account_id,
                    "name": mismatch.account_name,
                    "stored": format_won(mismatch.stored),
                    "summed": format_won(mismatch.from_entries),
                }
            )
        for record in report.unbalanced_transactions:
            self.stdout.write(
                _("불균형 거래 (unbalanced transaction): #%(id)s %(key)s, 합계 %(total)s, "
                  "분개 %(count)s개")
                % {
                    "id": record.transaction_id,
                    "key": record.idempotency_key,
                    "total": format_won(record.total),
                    "count": record.entry_count,
                }
            )
        for account in report.negative_accounts:
            self.stdout.write(
                _("음수 잔액 (negative balance): 계정 #%(id)s %(name)s, 잔액 %(balance)s")
                % {
                    "id": account.account_id,
                    "name": account.account_name,
                    "balance": format_won(account.balance),
                }
            )
        if report.total_balance != 0:
            self.stdout.write(
                _("전체 잔액 합계가 0이 아닙니다 (total of balances is not zero): %(total)s")
                % {"total": format_won(report.total_balance)}
            )
        if not report.ok:
            raise CommandError(_("원장 검사 실패: 차이가 있습니다. (ledger verify failed)"))
        self.stdout.write(self.style.SUCCESS(_("이상 없음 (OK)")))
