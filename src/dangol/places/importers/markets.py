"""Import the official list of traditional markets (`markets_import`): the file's columns, the
reading of each value, and the bulk write that creates or updates the markets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.csvfile import CP949
from dangol.places.errors import RegionsNotImported
from dangol.places.importers.addresses import RegionDirectory
from dangol.places.importers.reading import (
    ImportReport,
    ImportSource,
    RowProblem,
    RowRejected,
    read_table,
    read_text,
    record_cells,
)
from dangol.places.importers.regions import reconciliation_label
from dangol.places.models import Market, market_source_key

# --- markets --------------------------------------------------------------------------------

NAME, TYPE, CYCLE = "시장명", "시장유형", "시장개설주기"
ROAD, LOT = "소재지도로명주소", "소재지지번주소"
LATITUDE, LONGITUDE, STORES, PRODUCTS = "위도", "경도", "점포수", "취급품목"
VOUCHERS, HOMEPAGE = "사용가능상품권", "홈페이지주소"
TOILET, PARKING = "공중화장실보유여부", "주차장보유여부"
OPENED, PHONE, DATA_DATE = "개설연도", "전화번호", "데이터기준일자"
PROVIDER_CODE, PROVIDER = "제공기관코드", "제공기관명"
MARKET_COLUMNS = (
    NAME, TYPE, ROAD, LOT, CYCLE, LATITUDE, LONGITUDE, STORES, PRODUCTS, VOUCHERS, HOMEPAGE,
    TOILET, PARKING, OPENED, PHONE, DATA_DATE, PROVIDER_CODE, PROVIDER,
)
_MARKET_TYPES = {
    "상설장": Market.MarketType.PERMANENT,
    "5일장": Market.MarketType.FIVE_DAY,
    "상설장+5일장": Market.MarketType.BOTH,
}
_FLAGS = {"Y": True, "N": False, "": None}
# The Market fields an import owns; everything else (kind, description, …) is left alone.
MARKET_IMPORT_FIELDS = [
    "name", "market_type", "cycle", "region_id", "road_address", "lot_address", "latitude",
    "longitude", "store_count", "products", "vouchers_accepted", "homepage", "has_public_toilet",
    "has_parking", "opened_year", "phone", "source_name", "source_date",
]
# Bounds of the Market table's check constraints (33–39 N, 124–132 E).
_LATITUDE_RANGE = (Decimal(33), Decimal(39))
_LONGITUDE_RANGE = (Decimal(124), Decimal(132))
_SIX_PLACES = Decimal("0.000001")


def _text(cells: Mapping[str, str], column: str, max_length: int) -> str:
    value = " ".join(cells[column].split())
    if len(value) > max_length:
        raise RowRejected(
            gettext("%(column)s 값이 너무 깁니다(최대 %(max)s자).")
            % {"column": column, "max": max_length}
        )
    return value


def _whole_number(cells: Mapping[str, str], column: str) -> int | None:
    value = cells[column].replace(",", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise RowRejected(
            gettext("%(column)s 값 '%(value)s'은(는) 0 이상의 정수가 아닙니다.")
            % {"column": column, "value": cells[column]}
        )
    return int(value)


def _coordinate(cells: Mapping[str, str], column: str) -> Decimal | None:
    value = cells[column]
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise RowRejected(
            gettext("%(column)s 값 '%(value)s'은(는) 숫자가 아닙니다.")
            % {"column": column, "value": value}
        )
    return number


def _coordinates(cells: Mapping[str, str]) -> tuple[Decimal | None, Decimal | None]:
    latitude, longitude = _coordinate(cells, LATITUDE), _coordinate(cells, LONGITUDE)
    if (latitude is None) != (longitude is None):
        raise RowRejected(gettext("위도와 경도 중 하나만 있습니다."))
    if latitude is not None and longitude is not None and not (
        _LATITUDE_RANGE[0] <= latitude <= _LATITUDE_RANGE[1]
        and _LONGITUDE_RANGE[0] <= longitude <= _LONGITUDE_RANGE[1]
    ):
        raise RowRejected(
            gettext(
                "위도·경도가 대한민국 범위를 벗어납니다(위도 %(latitude)s, 경도 %(longitude)s)."
            )
            % {"latitude": cells[LATITUDE], "longitude": cells[LONGITUDE]}
        )
    if latitude is None or longitude is None:
        return None, None
    # The table keeps six decimal places (about 10 cm); the file has up to eight.
    return latitude.quantize(_SIX_PLACES), longitude.quantize(_SIX_PLACES)


def cell_flag(cells: Mapping[str, str], column: str) -> bool | None:
    value = cells[column].upper()
    if value not in _FLAGS:
        raise RowRejected(
            gettext("%(column)s 값 '%(value)s'은(는) Y 또는 N이어야 합니다.")
            % {"column": column, "value": cells[column]}
        )
    return _FLAGS[value]


def _opened_year(cells: Mapping[str, str], today: date) -> int | None:
    year = _whole_number(cells, OPENED)
    if year is not None and not 1000 <= year <= today.year:
        raise RowRejected(
            gettext("개설연도 '%(value)s'이(가) 올바르지 않습니다.") % {"value": cells[OPENED]}
        )
    return year


def _data_date(cells: Mapping[str, str]) -> date | None:
    value = cells[DATA_DATE]
    if not value:
        return None
    digits = value.replace("-", "").replace(".", "").replace("/", "")
    try:
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError(value)
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError as error:
        raise RowRejected(
            gettext("데이터기준일자 '%(value)s'이(가) 날짜가 아닙니다.") % {"value": value}
        ) from error


def _market_values(cells: Mapping[str, str], today: date) -> dict[str, Any]:
    """Return the Market field values of one row, region aside; raise RowRejected if unusable."""
    name = _text(cells, NAME, 100)
    if not name:
        raise RowRejected(gettext("시장명이 비어 있습니다."))
    market_type = _MARKET_TYPES.get(cells[TYPE].replace(" ", ""))
    if market_type is None:
        raise RowRejected(
            gettext(
                "시장유형 '%(value)s'을(를) 알 수 없습니다(상설장, 5일장, 상설장+5일장 중 하나)."
            )
            % {"value": cells[TYPE]}
        )
    latitude, longitude = _coordinates(cells)
    return {
        "name": name,
        "market_type": market_type,
        "cycle": _text(cells, CYCLE, 60),
        "road_address": _text(cells, ROAD, 200),
        "lot_address": _text(cells, LOT, 200),
        "latitude": latitude,
        "longitude": longitude,
        "store_count": _whole_number(cells, STORES),
        "products": [item.strip() for item in cells[PRODUCTS].split("+") if item.strip()],
        "vouchers_accepted": _text(cells, VOUCHERS, 200),
        "homepage": _text(cells, HOMEPAGE, 300),
        "has_public_toilet": cell_flag(cells, TOILET),
        "has_parking": cell_flag(cells, PARKING),
        "opened_year": _opened_year(cells, today),
        "phone": _text(cells, PHONE, 40),
        "source_name": _text(cells, PROVIDER, 100),
        "source_date": _data_date(cells),
    }


@transaction.atomic
def markets_import(*, file: ImportSource) -> ImportReport:
    """Create or update the markets of the official list (전국전통시장표준데이터, CP949 CSV).

    Place each market in the current 시군구 of its road address (its lot address when that
    fails) and key it by market_source_key, so that running the import again, or after the demo
    created the same market, updates rows in place. Reject, with line and reason, every row that
    cannot be used and import the others. Raise ImportFileRefused if the file is not that list
    and RegionsNotImported if the regions are missing; both write nothing.
    """
    text = read_text(file, encodings=(CP949,))
    table = read_table(text, dataset=_("전국전통시장표준데이터"), required=MARKET_COLUMNS)
    directory = RegionDirectory.load()
    missing = directory.missing_sido()
    if missing:
        raise RegionsNotImported(missing=", ".join(missing))

    report = ImportReport()
    today = clock.today_kst()
    rows: dict[str, tuple[int, dict[str, Any]]] = {}
    for line, record in table.records:
        try:
            cells = record_cells(table, record)
            values = _market_values(cells, today)
            resolution = directory.resolve(road=values["road_address"], lot=values["lot_address"])
            if isinstance(resolution, str):
                raise RowRejected(resolution)
            key = market_source_key(region_code=resolution.code, name=values["name"])
            if key in rows:
                raise RowRejected(
                    gettext("같은 시군구(%(region)s)에 같은 이름의 시장이 %(line)s번째 줄에 이미 "
                            "있습니다.")
                    % {"region": directory.full_name(resolution.code), "line": rows[key][0]}
                )
        except RowRejected as rejected:
            report.rejected.append(RowProblem(line, rejected.reason))
            continue
        values["region_id"] = resolution.code
        rows[key] = (line, values)
        report.resolutions[resolution.kind] += 1
        label = reconciliation_label(resolution.code)
        if label is not None:
            report.reconciled[label] += 1
        if resolution.note is not None:
            report.corrected.append(RowProblem(line, resolution.note))

    _write_markets(rows, report)
    return report


def _write_markets(rows: Mapping[str, tuple[int, dict[str, Any]]], report: ImportReport) -> None:
    """Create and update the markets of `rows` (by source key) with bulk statements."""
    by_key: dict[str, Market] = {}
    by_region_and_name: dict[tuple[str, str], Market] = {}
    fields = [name.removesuffix("_id") for name in MARKET_IMPORT_FIELDS]
    for known in Market.objects.only("source_key", *fields):
        if known.source_key:
            by_key[known.source_key] = known
        else:
            by_region_and_name.setdefault((known.region_id, known.name), known)
    now = clock.now()
    to_create: list[Market] = []
    to_update: list[Market] = []
    for key, (_line, values) in rows.items():
        market: Market | None = by_key.get(key)
        adopted = False
        if market is None:
            # A market entered by hand in the same 시군구 under the same name is the same
            # market: adopt it rather than list it twice.
            market = by_region_and_name.pop((values["region_id"], values["name"]), None)
            adopted = market is not None
        if market is None:
            to_create.append(Market(source_key=key, **values))
            report.created += 1
        elif adopted or any(getattr(market, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(market, name, value)
            market.source_key = key
            market.updated_at = now
            to_update.append(market)
            report.updated += 1
        else:
            report.unchanged += 1
    report.absent = len(set(by_key) - set(rows))
    Market.objects.bulk_create(to_create, batch_size=500)
    Market.objects.bulk_update(
        to_update, [*MARKET_IMPORT_FIELDS, "source_key", "updated_at"], batch_size=200
    )
