"""A program's applications and grants as spreadsheets: .xlsx (openpyxl) and CSV (UTF-8 with
BOM, so Excel in Korea opens it right), both with Korean headers. Amounts are integer won.
Each download (`program_export`) is recorded in the audit log."""

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core.clock import KST
from dangol.core.spreadsheet import csv_writer, spreadsheet_cell
from dangol.programs.models import Application, Grant, Program
from dangol.programs.selectors import reason_message

APPLICATION_HEADERS = [
    _("신청 번호"), _("가게"), _("시장·상점가"), _("시군구"), _("사업자등록번호"),
    _("신고 연 매출(원)"), _("상태"), _("사유"), _("신청 시각"), _("결정 시각"),
]
GRANT_HEADERS = [
    _("지급 번호"), _("가게"), _("시장·상점가"), _("지원 내용"), _("금액(원)"),
    _("원장 거래 번호"), _("지급 시각"),
]


def _when(moment: Any) -> str:
    if moment is None:
        return ""
    return str(timezone.localtime(moment, KST).strftime("%Y-%m-%d %H:%M"))


def reason_texts(reasons: Any) -> list[str]:
    """Return an application's reasons as sentences (programs.selectors.reason_message),
    each once."""
    texts = [
        reason_message(reason) if isinstance(reason, dict) else str(reason)
        for reason in reasons or []
    ]
    return list(dict.fromkeys(texts))


def _reasons(reasons: Any) -> str:
    return "; ".join(reason_texts(reasons))


def application_rows(*, program: Program) -> Iterable[list[Any]]:
    """Yield one row per application of `program`, oldest first (one query)."""
    applications = (
        Application.objects.filter(program=program)
        .select_related("store__market", "store__region")
        .order_by("created_at", "id")
    )
    for application in applications.iterator(chunk_size=2000):
        store = application.store
        yield [
            application.pk,
            store.name,
            store.market.name if store.market else "",
            store.region.name,
            application.brn,
            application.declared_annual_sales,
            str(application.get_status_display()),
            _reasons(application.reasons),
            _when(application.created_at),
            _when(application.decided_at),
        ]


def grant_rows(*, program: Program) -> Iterable[list[Any]]:
    """Yield one row per grant of `program`, in the order made (one query)."""
    grants = (
        Grant.objects.filter(benefit__program=program)
        .select_related("store__market", "market", "benefit")
        .order_by("id")
    )
    for grant in grants.iterator(chunk_size=2000):
        yield [
            grant.pk,
            grant.store.name if grant.store else gettext("%(market)s 시장 채널") % {
                "market": grant.market.name if grant.market else ""},
            (grant.store.market.name if grant.store.market else "") if grant.store
            else (grant.market.name if grant.market else ""),
            str(grant.benefit.get_kind_display()),
            grant.amount,
            grant.transaction_id or "",
            _when(grant.created_at),
        ]


def to_csv(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """Return the rows as CSV, UTF-8 with BOM, headers first."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\r\n")
    writer.writerow([str(header) for header in headers])
    for row in rows:
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    """Return the rows as one .xlsx sheet (write-only, so large programs stay cheap);
    won amounts keep their integer type with a thousands format."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=spreadsheet_cell(str(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    money_columns = {i for i, header in enumerate(headers) if "(원)" in str(header)}
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=spreadsheet_cell(value))
            if i in money_columns:
                cell.number_format = "#,##0"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# What a program export may be: its rows, headers and sheet title, by name.
EXPORTS: dict[str, tuple[Callable[..., Iterable[list[Any]]], list[Any], Any]] = {
    "applications": (application_rows, APPLICATION_HEADERS, _("신청")),
    "grants": (grant_rows, GRANT_HEADERS, _("지급")),
}
FORMATS = ("csv", "xlsx")


@transaction.atomic
def program_export(*, program: Program, export: str, fmt: str, actor: User | None) -> bytes:
    """Return the program's `export` ("applications" or "grants") as `fmt` ("csv" or "xlsx")
    and record the download, with its number of rows, in the audit log as `actor`'s (the
    caller has checked that `actor` may take it: access's `programs.export`)."""
    rows, headers, title = EXPORTS[export]
    counted = 0

    def counting(data: Iterable[list[Any]]) -> Iterator[list[Any]]:
        nonlocal counted
        for row in data:
            counted += 1
            yield row

    data = counting(rows(program=program))
    content = to_xlsx(headers, data, title=title) if fmt == "xlsx" else to_csv(headers, data)
    audit_record(
        action=AuditEntry.Action.PROGRAM_EXPORT, actor=actor, subject=f"program:{program.pk}",
        organisation_id=program.operator_id,
        details={"export": export, "format": fmt, "rows": counted},
    )
    return content
