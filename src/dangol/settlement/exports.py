"""Files made from a settlement run: the bank-transfer CSV and each store's PDF statement;
taking either is recorded in the audit log."""

import io
import re
from typing import Any
from xml.sax.saxutils import escape

from django.db import transaction
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core.clock import KST
from dangol.core.fonts import KOREAN_FONT, KOREAN_FONT_BOLD, register_korean_fonts
from dangol.core.money import format_won
from dangol.core.spreadsheet import csv_writer
from dangol.settlement.models import Payout, SettlementRun

CSV_HEADER = ["은행", "예금주", "계좌번호", "금액"]
MARGIN = 20 * mm
LABEL_WIDTH = 45 * mm


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


@transaction.atomic
def payouts_csv(*, run: SettlementRun, actor: User | None) -> str:
    """Return the bank-transfer CSV of `run`: one row per payout (bank, holder, masked
    account number, net amount in won), in store order, with a UTF-8 BOM for spreadsheets.

    Taking the file is a money action: it is recorded in the audit log as `actor`'s (None:
    the command line)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    total = count = 0
    for bank_name, store_name, number, net in (
        Payout.objects.filter(run=run)
        .order_by("store_id")
        .values_list("bank_name", "store__name", "account_number", "net")
    ):
        writer.writerow([bank_name, store_name, account_number_mask(number), net])
        total += net
        count += 1
    audit_record(
        action=AuditEntry.Action.BANK_FILE, actor=actor, subject=f"settlement_run:{run.pk}",
        amount=total, details={"payouts": count},
    )
    return out.getvalue()


def _statement_styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("statement", fontName=KOREAN_FONT, fontSize=11, leading=15)
    return {
        "title": ParagraphStyle("statement-title", base, fontName=KOREAN_FONT_BOLD,
                                fontSize=18, leading=24, spaceAfter=6 * mm),
        "value": base,
        "caption": ParagraphStyle("statement-caption", base, fontName=KOREAN_FONT_BOLD,
                                  spaceBefore=8 * mm, spaceAfter=2 * mm),
    }


def _table(rows: list[list[Any]], *, value_width: float, style: list[tuple[Any, ...]]) -> Table:
    table = Table(rows, colWidths=[LABEL_WIDTH, value_width], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), KOREAN_FONT, 11),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#444444")),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        *style,
    ]))
    return table


@transaction.atomic
def statement_pdf_export(*, payout: Payout, actor: User | None) -> bytes:
    """Return the payout's PDF statement (`statement_pdf`) for download and record the
    export of personal data (the store's bank account and payouts) in the audit log as
    `actor`'s, naming the statement by its number, never the account (the caller has checked
    that `actor` may take it: access's statement actions)."""
    content = statement_pdf(payout=payout)
    audit_record(
        action=AuditEntry.Action.PERSONAL_DATA_EXPORT, actor=actor,
        subject=f"store:{payout.store_id}",
        details={"export": "statement", "statement": payout.number},
    )
    return content


def statement_pdf(*, payout: Payout) -> bytes:
    """Return the PDF settlement statement (정산 명세서) of one payout (with its run and store
    loaded), with NanumGothic embedded so Korean text renders anywhere; a fast payout's says
    빠른정산.

    The statement's particulars (number, kind, store, cut-off, payout date, bank account)
    come first, then the figures in a ruled table: amount settled, fee, amount paid."""
    fast = payout.run.is_fast
    title = "빠른정산 명세서" if fast else "정산 명세서"
    register_korean_fonts()
    styles = _statement_styles()
    particulars = [
        [label, Paragraph(escape(value), styles["value"])]
        for label, value in (
            ("명세서 번호", payout.number),
            ("정산 종류", "빠른정산 (선지급, 나머지는 정기 정산)" if fast else "정기 정산"),
            ("가게", payout.store.name),
            ("정산 기준 시각",
             payout.period_end.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")),
            ("지급일", payout.payout_date.isoformat()),
            ("입금 계좌", f"{payout.bank_name} {account_number_mask(payout.account_number)}"),
        )
    ]
    figures = [
        ["항목", "금액"],
        ["정산액", format_won(payout.amount)],
        ["수수료", format_won(payout.fee)],
        ["지급액", format_won(payout.net)],
    ]
    rule = colors.HexColor("#999999")
    story: list[Flowable] = [
        Paragraph(escape(title), styles["title"]),
        _table(particulars, value_width=A4[0] - 2 * MARGIN - LABEL_WIDTH,
               style=[("LINEBELOW", (0, 0), (-1, -1), 0.25, rule)]),
        Paragraph("정산 내역", styles["caption"]),
        _table(figures, value_width=50 * mm, style=[
            ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
            ("INNERGRID", (0, 0), (-1, -1), 0.25, rule),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("FONT", (0, -1), (-1, -1), KOREAN_FONT_BOLD, 11),
            ("TEXTCOLOR", (0, -1), (-1, -1), colors.black),
            ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
        ]),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=f"{title} {payout.number}", author="dangol",
        subject=payout.store.name, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=25 * mm, bottomMargin=20 * mm, invariant=True,
    )
    document.build(story)
    return buffer.getvalue()


def safe_filename(text: str) -> str:
    """Return `text` with characters unsafe in file names replaced by '_'."""
    return re.sub(r"[^0-9A-Za-z가-힣._-]", "_", text)
