"""Bank-transfer CSV, PDF statements and the `dangol settle` command."""

import csv
import io

import pytest
from django.core.management import call_command

from dangol.core import clock
from dangol.core.clock import kst
from dangol.settlement import services
from dangol.settlement.exports import account_number_mask, payouts_csv, statement_pdf
from dangol.settlement.models import Payout, SettlementRun
from tests.pdfread import pdf_embedded_fonts, pdf_text_runs
from tests.settlement.conftest import NOW, redeem

CUTOFF = kst(2026, 11, 30, 23, 59)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("110-123-451234", "110-***-**1234"),
        ("1002-345-678901", "1002-***-**8901"),
        ("12345678901234", "**********1234"),
    ],
)
def test_account_number_mask_keeps_the_bank_prefix_and_last_four_digits(number, masked):
    assert account_number_mask(number) == masked


@pytest.mark.django_db
def test_csv_lists_bank_holder_masked_account_and_amount(policy, make_store):
    clock.freeze(NOW)
    store = make_store(bank="신한은행", number="110-123-451234")
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r")
    run = services.settlement_run(policy=policy, cutoff=CUTOFF)

    text = payouts_csv(run=run, actor=None)

    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["은행", "예금주", "계좌번호", "금액"],
                    ["신한은행", store.name, "110-***-**1234", "15000"]]
    assert "451234" not in text


@pytest.mark.django_db
def test_statement_pdf_embeds_the_korean_font(policy, make_store):
    clock.freeze(NOW)
    store = make_store()
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r")
    services.settlement_run(policy=policy, cutoff=CUTOFF)

    pdf = statement_pdf(payout=Payout.objects.get(store=store))

    assert pdf.startswith(b"%PDF")
    assert b"/FontFile2" in pdf
    assert b"NanumGothic" in pdf


@pytest.mark.django_db
def test_statement_pdf_shows_every_field_and_the_figures_in_the_korean_font(policy, make_store):
    clock.freeze(NOW)
    policy.fee_bp = 250
    policy.save(update_fields=["fee_bp"])
    store = make_store(bank="국민은행", number="1002-345-678901")
    store.name = "반송수산"
    store.save(update_fields=["name"])
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r")
    services.settlement_run(policy=policy, cutoff=CUTOFF)
    payout = Payout.objects.select_related("run", "store").get(store=store)

    pdf = statement_pdf(payout=payout)

    assert pdf_embedded_fonts(pdf) == ["NanumGothic", "NanumGothicBold"]
    runs = pdf_text_runs(pdf)
    assert runs[0] == "정산 명세서"
    particulars = [
        "명세서 번호", payout.number, "정산 종류", "정기 정산", "가게", "반송수산",
        "정산 기준 시각", "2026-11-30 23:59 KST", "지급일", payout.payout_date.isoformat(),
        "입금 계좌", "국민은행 1002-***-**8901",
    ]
    assert [run for run in runs if run in particulars] == particulars
    figures = runs[runs.index("정산 내역") + 1:]
    assert figures == ["항목", "금액", "정산액", "₩15,000", "수수료", "₩375", "지급액", "₩14,625"]
    assert (payout.amount, payout.fee, payout.net) == (15_000, 375, 14_625)


@pytest.mark.django_db
def test_settle_command_runs_and_exports(policy, make_store, capsys):
    clock.freeze(NOW)
    store = make_store()
    redeem(store, 2_000, at=kst(2026, 11, 20), key="r")

    call_command("settle", "run", "--policy", str(policy.pk), "--cutoff", "2026-11-30T23:59")
    run = SettlementRun.objects.get()
    call_command("settle", "csv", str(run.pk))

    out = capsys.readouterr().out
    assert run.cutoff == CUTOFF
    assert "₩2,000" in out
    assert "110-***-**1234,2000" in out


@pytest.mark.django_db
def test_csv_neutralises_a_store_name_that_is_a_formula(policy, make_store):
    clock.freeze(NOW)
    store = make_store(bank="신한은행", number="110-123-451234")
    store.name = "=2+5+cmd|' /C calc'!A0"
    store.save(update_fields=["name"])
    redeem(store, 15_000, at=kst(2026, 11, 20), key="r")
    run = services.settlement_run(policy=policy, cutoff=CUTOFF)

    rows = list(csv.reader(io.StringIO(payouts_csv(run=run, actor=None).lstrip("\ufeff"))))

    assert rows[1][1] == "'=2+5+cmd|' /C calc'!A0"
