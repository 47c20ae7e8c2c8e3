"""`dangol report programs --json`: a JSON list with exact integer won figures."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from dangol.ledger.models import Account
from dangol.ledger.services import account_get_or_create, ledger_transfer
from dangol.messaging.credit import message_credit_account
from dangol.programs import services
from dangol.programs.models import Enrolment

pytestmark = pytest.mark.django_db


def _report(*arguments: str) -> str:
    out = StringIO()
    call_command("report", "programs", *arguments, stdout=out)
    return out.getvalue()


def test_report_programs_json_has_exact_figures(program, haeundae, market_in, store_in,
                                                owner_of):
    market = market_in(haeundae)
    prog = program(budget=1_000_000, markets=[market])
    market_in(haeundae)  # not enrolled
    empty = program(budget=50_000, benefits=[{"kind": "message_credit", "amount": 50_000}])
    stores = [store_in(market), store_in(market)]
    for store in stores:
        services.application_submit(program=prog, store=store, applicant=owner_of(store),
                                    declared_annual_sales=1)
    usage = account_get_or_create(owner_type="", owner_id=None, kind=Account.Kind.MESSAGE_USAGE,
                                  non_negative=False, name="메시지 발송 비용")
    ledger_transfer(idempotency_key="send", kind="message_send",
                    source=message_credit_account(store=stores[0]), destination=usage,
                    amount=45_600)

    rows = json.loads(_report("--json"))

    assert Enrolment.objects.count() == 1
    assert rows == [
        {
            "name": prog.name, "operator": "해운대구청", "budget": 1_000_000,
            "committed": 600_000, "spent": 45_600, "remaining": 400_000, "grants": 6,
            "benefits": [
                {"kind": "message_credit", "amount": 300_000},
                {"kind": "settlement_upgrade", "amount": 0},
                {"kind": "fast_settlement", "amount": 0},
            ],
            "enrolled_markets": 1,
        },
        {
            "name": empty.name, "operator": "해운대구청", "budget": 50_000, "committed": 0,
            "spent": 0, "remaining": 50_000, "grants": 0,
            "benefits": [{"kind": "message_credit", "amount": 50_000}],
            "enrolled_markets": 0,
        },
    ]
    assert all(isinstance(row[key], int) for row in rows
               for key in ("budget", "committed", "spent", "remaining", "grants"))


def test_report_programs_json_is_an_empty_list_without_programs(db):
    assert json.loads(_report("--json")) == []


def test_report_programs_text(program):
    prog = program(budget=900_000)
    text = _report()
    assert f"{prog.name} (해운대구청): 예산 ₩900,000, 지원 ₩0, 사용 ₩0, 남은 예산 ₩900,000" in text
