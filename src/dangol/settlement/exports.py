"""Files made from a settlement run: the bank-transfer CSV and each store's PDF statement."""

import csv
import io
import re

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from dangol.core.clock import KST
from dangol.core.fonts import KOREAN_FONT, register_korean_fonts
from dangol.core.money import format_won
from dangol.settlement.models import Payout, SettlementRun

CSV_HEADER = ["은행", "예금주", "계좌번호", "금액"]


def account_number_mask(number: str) -> str:
    """Return `number` with every digit hidden except its first group and last four digits,
    keeping the separators: '110-123-451234' → '110-***-**1234'."""
    text = number.strip()
    first_end = text.find("-") if "-" in text else 0
    digit_positions = [index for index, char in enumerate(text) if char.isdigit()]
    keep = {index for index in digit_positions if index < first_end}
    keep.update(digit_positions[-4:])
    return "".join(
        "*" if char.isdigit() and index not in keep else char for index, char in enumerate(text)
    )


def payouts_csv(*, run: SettlementRun) -> str:
    """Return the bank-transfer CSV of `run`: one row per payout (bank, holder, masked
    account number, net amount in won), in store order, with a UTF-8 BOM for spreadsheets."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for bank_name, store_name, number, net in (
        Payout.objects.filter(run=run)
        .order_by("store_id")
        .values_list("bank_name", "store__name", "account_number", "net")
    ):
        writer.writerow([bank_name, store_name, account_number_mask(number), net])
    return out.getvalue()


def statement_pdf(*, payout: Payout) -> bytes:
    """Return the PDF settlement statement (정산 명세서) of one payout (with its run and store
    loaded), with NanumGothic embedded so Korean text renders anywhere; a fast payout's says
    빠른정산."""
    fast = payout.run.is_fast
    title = "빠른정산 명세서" if fast else "정산 명세서"
    register_korean_fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    page.setTitle(f"{title} {payout.number}")
    width, height = A4
    page.setFont(KOREAN_FONT, 18)
    page.drawString(60, height - 80, title)
    page.setFont(KOREAN_FONT, 11)
    lines = [
        ("명세서 번호", payout.number),
        ("정산 종류", "빠른정산 (선지급, 나머지는 정기 정산)" if fast else "정기 정산"),
        ("가게", payout.store.name),
        ("정산 기준 시각", payout.period_end.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")),
        ("지급일", payout.payout_date.isoformat()),
        ("정산액", format_won(payout.amount)),
        ("수수료", format_won(payout.fee)),
        ("지급액", format_won(payout.net)),
        ("입금 계좌", f"{payout.bank_name} {account_number_mask(payout.account_number)}"),
    ]
    y = height - 130
    for label, value in lines:
        page.drawString(60, y, label)
        page.drawString(200, y, value)
        y -= 22
    page.showPage()
    page.save()
    return buffer.getvalue()


def safe_filename(text: str) -> str:
    """Return `text` with characters unsafe in file names replaced by '_'."""
    return re.sub(r"[^0-9A-Za-z가-힣._-]", "_", text)
