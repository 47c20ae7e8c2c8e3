"""Import the 시도 and 시군구 of the legal-dong code list (`regions_import`) and reconcile them
with the official changes to the list that the file may predate (REGION_CHANGES).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.csvfile import UTF8_OR_CP949
from dangol.places.importers.reading import (
    ImportReport,
    ImportSource,
    RowProblem,
    RowRejected,
    Table,
    read_table,
    read_text,
    record_cells,
)
from dangol.places.models import Region

# --- the reconciliation table ---------------------------------------------------------------


@dataclass(frozen=True)
class RegionChange:
    """One official change to the 시도/시군구 list that the legal-dong file may predate.

    `old` is the code that ended (None for a region the file lacks), `new` the code in force
    and `name` its name (a 시군구's name without its 시도). With `whole_sido`, every current
    시군구 under `old` moves to `new` keeping its last three digits.
    """

    effective: date
    label: str
    old: str | None
    new: str
    name: str
    whole_sido: bool = False


REGION_CHANGES: tuple[RegionChange, ...] = (
    # 세종특별자치시 출범 (2012-07-01): a single-tier 시도 with no 시군구 under it. The code list
    # has its 시군구-level code 36110 but no 시도 row 36; markets there belong to 36110.
    RegionChange(
        effective=date(2012, 7, 1), label="세종특별자치시(시군구 없는 시도)",
        old=None, new="36", name="세종특별자치시",
    ),
    # 인천광역시 남구 → 미추홀구 (2018-07-01). The list already has both; link the old code.
    RegionChange(
        effective=date(2018, 7, 1), label="인천광역시 남구 → 미추홀구",
        old="28170", new="28177", name="미추홀구",
    ),
    # 강원도 → 강원특별자치도 (2023-06-11, 강원특별자치도 설치 등에 관한 특별법): 42… → 51….
    RegionChange(
        effective=date(2023, 6, 11), label="강원도 → 강원특별자치도",
        old="42", new="51", name="강원특별자치도", whole_sido=True,
    ),
    # 경상북도 군위군 → 대구광역시 군위군 (2023-07-01, 대구광역시 군위군 편입 법률): 47720 → 27720.
    RegionChange(
        effective=date(2023, 7, 1), label="경상북도 군위군 → 대구광역시 군위군",
        old="47720", new="27720", name="군위군",
    ),
    # 부천시 일반구 설치 (2024-01-01): 원미구 41192, 소사구 41194, 오정구 41196. The 구 of the
    # same names abolished on 2016-07-04 (41195, 41197, 41199) point at them; 부천시 41190
    # becomes a 시 divided into 구, like 수원시.
    RegionChange(
        effective=date(2024, 1, 1), label="부천시 원미구·소사구·오정구 설치",
        old="41195", new="41192", name="부천시 원미구",
    ),
    RegionChange(
        effective=date(2024, 1, 1), label="부천시 원미구·소사구·오정구 설치",
        old="41197", new="41194", name="부천시 소사구",
    ),
    RegionChange(
        effective=date(2024, 1, 1), label="부천시 원미구·소사구·오정구 설치",
        old="41199", new="41196", name="부천시 오정구",
    ),
    # 전라북도 → 전북특별자치도 (2024-01-18, 전북특별자치도 설치 등에 관한 특별법): 45… → 52….
    RegionChange(
        effective=date(2024, 1, 18), label="전라북도 → 전북특별자치도",
        old="45", new="52", name="전북특별자치도", whole_sido=True,
    ),
)

# The 17 시도 in force since 2024-01-18. Markets cannot be placed until all of them exist.
CURRENT_SIDO_CODES: frozenset[str] = frozenset(
    ["11", "26", "27", "28", "29", "30", "31", "36", "41", "43", "44", "46", "47", "48", "50",
     "51", "52"]
)


def reconciliation_label(code: str) -> str | None:
    """Return the label of the REGION_CHANGES entry that made region `code` current, if any."""
    for change in REGION_CHANGES:
        if code == change.new or (change.whole_sido and code.startswith(change.new)):
            return change.label
        if change.old is None and len(change.new) == 2 and code.startswith(change.new):
            return change.label
    return None


# --- regions --------------------------------------------------------------------------------

REGION_COLUMNS = ("법정동코드", "법정동명", "폐지여부")
_REGION_STATUS = {"존재": True, "폐지": False}
_REGION_FIELDS = ["level", "name", "full_name", "parent_id", "is_active", "successor_id"]


@dataclass
class _RegionRow:
    code: str
    level: str
    name: str
    full_name: str
    is_active: bool
    successor: str | None = None

    @property
    def parent(self) -> str | None:
        return self.code[:2] if self.level == Region.Level.SIGUNGU else None


def _region_rows(table: Table, report: ImportReport) -> dict[str, _RegionRow]:
    """Return the 시도 and 시군구 rows of the legal-dong list by code; skip 읍면동 rows."""
    rows: dict[str, _RegionRow] = {}
    sido_names: dict[str, str] = {}
    pending: list[tuple[int, str, str, bool]] = []
    for line, record in table.records:
        try:
            cells = record_cells(table, record)
            code, full_name = cells["법정동코드"], " ".join(cells["법정동명"].split())
            if len(code) != 10 or not (code.isascii() and code.isdigit()):
                raise RowRejected(
                    gettext("법정동코드 '%(value)s'은(는) 10자리 숫자가 아닙니다.")
                    % {"value": code}
                )
            if code[5:] != "00000":
                report.skipped += 1
                continue
            if cells["폐지여부"] not in _REGION_STATUS:
                raise RowRejected(
                    gettext("폐지여부 '%(value)s'은(는) '존재' 또는 '폐지'여야 합니다.")
                    % {"value": cells["폐지여부"]}
                )
            if not full_name:
                raise RowRejected(gettext("법정동명이 비어 있습니다."))
            if len(full_name) > 80:
                raise RowRejected(gettext("법정동명이 너무 깁니다(최대 80자)."))
        except RowRejected as rejected:
            report.rejected.append(RowProblem(line, rejected.reason))
            continue
        is_active = _REGION_STATUS[cells["폐지여부"]]
        if code[2:5] == "000":
            sido_names[code[:2]] = full_name
            rows[code[:2]] = _RegionRow(
                code[:2], Region.Level.SIDO, full_name, full_name, is_active
            )
        else:
            pending.append((line, code[:5], full_name, is_active))
    for change in REGION_CHANGES:
        if change.old is None and len(change.new) == 2 and change.new not in rows:
            sido_names[change.new] = change.name
            rows[change.new] = _RegionRow(
                change.new, Region.Level.SIDO, change.name, change.name, True
            )
    for line, code, full_name, is_active in pending:
        sido_name = sido_names.get(code[:2])
        if sido_name is None:
            reason = gettext("상위 시도(%(code)s)가 목록에 없습니다.") % {"code": code[:2]}
            report.rejected.append(RowProblem(line, reason))
            continue
        name = full_name.removeprefix(sido_name).strip() or full_name
        if len(name) > 40:
            reason = gettext("시군구 이름이 너무 깁니다(최대 40자).")
            report.rejected.append(RowProblem(line, reason))
            continue
        rows[code] = _RegionRow(code, Region.Level.SIGUNGU, name, full_name, is_active)
    return rows


def _reconcile(rows: dict[str, _RegionRow]) -> None:
    """Apply REGION_CHANGES to `rows`, in the order they took effect.

    A 시 divided into 일반구 (수원시 41110 above 장안구 41111 …) stays a current 시군구-level
    row as in the code list: an address that names the 시 but not its 구 still has a place.
    """
    for change in sorted(REGION_CHANGES, key=lambda change: change.effective):
        if change.whole_sido:
            _move_sido(rows, change)
        elif change.old is not None:
            _move_region(rows, change)


def _move_sido(rows: dict[str, _RegionRow], change: RegionChange) -> None:
    if change.old is None:
        return
    old = rows.get(change.old)
    if old is not None:
        old.is_active, old.successor = False, change.new
    if change.new not in rows:
        rows[change.new] = _RegionRow(
            change.new, Region.Level.SIDO, change.name, change.name, True
        )
    for code in [code for code in rows if len(code) == 5 and code.startswith(change.old)]:
        child, new_code = rows[code], change.new + code[2:]
        if child.is_active:
            rows.setdefault(new_code, _RegionRow(
                new_code, Region.Level.SIGUNGU, child.name, f"{change.name} {child.name}", True
            ))
            child.is_active = False
        if new_code in rows and rows[new_code].name == child.name:
            child.successor = new_code


def _move_region(rows: dict[str, _RegionRow], change: RegionChange) -> None:
    if change.old is None:
        return
    level = Region.Level.SIDO if len(change.new) == 2 else Region.Level.SIGUNGU
    if change.new not in rows:
        parent = rows.get(change.new[:2]) if level == Region.Level.SIGUNGU else None
        if level == Region.Level.SIGUNGU and parent is None:
            return  # a partial list without the 시도 the region moved to
        full_name = f"{parent.name} {change.name}" if parent else change.name
        rows[change.new] = _RegionRow(change.new, level, change.name, full_name, True)
    old = rows.get(change.old)
    if old is not None:
        old.is_active, old.successor = False, change.new


@transaction.atomic
def regions_import(*, file: ImportSource) -> ImportReport:
    """Create or update the 시도 and 시군구 of the legal-dong code list (법정동코드 전체자료).

    Read a UTF-8 (or CP949) CSV or tab-separated file with the columns 법정동코드, 법정동명 and
    폐지여부, keep the 시도 (2-digit) and 시군구 (5-digit) rows, reconcile them with
    REGION_CHANGES and write them in one transaction. Raise ImportFileRefused, writing nothing,
    if the file is not such a list. Leave regions that the file does not list as they are.
    """
    text = read_text(file, encodings=UTF8_OR_CP949)
    table = read_table(text, dataset=_("법정동코드"), required=REGION_COLUMNS)
    report = ImportReport()
    rows = _region_rows(table, report)
    _reconcile(rows)

    existing = {region.code: region for region in Region.objects.all()}
    now = clock.now()
    to_create: list[Region] = []
    to_update: list[Region] = []
    for code in sorted(rows, key=lambda code: (len(code), code)):
        row = rows[code]
        values: dict[str, Any] = {
            "level": row.level, "name": row.name, "full_name": row.full_name,
            "parent_id": row.parent, "is_active": row.is_active, "successor_id": row.successor,
        }
        region = existing.get(code)
        if region is None:
            to_create.append(Region(code=code, **values))
            report.created += 1
        elif any(getattr(region, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(region, name, value)
            region.updated_at = now
            to_update.append(region)
            report.updated += 1
        else:
            report.unchanged += 1
    Region.objects.bulk_create(to_create)
    Region.objects.bulk_update(to_update, [*_REGION_FIELDS, "updated_at"])
    return report
