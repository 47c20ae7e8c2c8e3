"""Import the national data: the legal-dong code list (regions) and the official list of
traditional markets (markets).

Both imports read the whole file before writing anything, refuse a file that is not what they
expect (encoding, columns, empty) with a translated `ImportFileRefused`, report every row they
cannot use with its line number and reason, and write the rest in one transaction with a few
bulk statements. Running an import again updates rows in place.
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
from dangol.places.errors import (
    ImportFileWrongColumns,
    MarketsNotImported,
    RegionsNotImported,
)
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
from dangol.places.models import Facility, Market, market_source_key

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


def _flag(cells: Mapping[str, str], column: str) -> bool | None:
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
        "has_public_toilet": _flag(cells, TOILET),
        "has_parking": _flag(cells, PARKING),
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


# --- market facilities ----------------------------------------------------------------------


FACILITY_IDENTITY_COLUMNS = ("시장명", "시장 유형", "지번주소", "도로명주소")
# The file's column of each facility; the spelling of the file (스프링쿨러) is kept.
FACILITY_COLUMNS: dict[str, Facility] = {
    "아케이드 보유 여부": Facility.ARCADE,
    "엘리베이터_에스컬레이터_보유여부": Facility.ELEVATOR,
    "고객지원센터 보유 여부": Facility.CUSTOMER_CENTER,
    "스프링쿨러 보유 여부": Facility.SPRINKLER,
    "화재감지기 보유여부": Facility.FIRE_DETECTOR,
    "유아놀이방_보유여부": Facility.PLAYROOM,
    "종합콜센터_보유여부": Facility.CALL_CENTER,
    "고객휴게실_보유여부": Facility.LOUNGE,
    "수유센터_보유여부": Facility.NURSING_ROOM,
    "물품보관함_보유여부": Facility.LOCKERS,
    "자전거보관함_보유여부": Facility.BICYCLE_RACK,
    "체육시설_보유여부": Facility.SPORTS,
    "간이 도서관_보유여부": Facility.LIBRARY,
    "쇼핑카트_보유여부": Facility.SHOPPING_CARTS,
    "외국인 안내센터_보유여부": Facility.VISITOR_CENTER,
    "고객동선통로_보유여부": Facility.WALKWAY,
    "방송센터_보유여부": Facility.BROADCAST,
    "문화교실_보유여부": Facility.CULTURE_CLASSROOM,
    "공동물류창고_보유여부": Facility.WAREHOUSE,
    "시장전용 고객주차장_보유여부": Facility.CUSTOMER_PARKING,
    "교육장_보유여부": Facility.TRAINING_ROOM,
    "회의실_보유여부": Facility.MEETING_ROOM,
    "자동심장충격기_보유여부": Facility.AED,
}
_MARKET_KINDS = {"전통시장": Market.Kind.MARKET, "상점가": Market.Kind.STREET}


@transaction.atomic
def market_facilities_import(*, file: ImportSource) -> ImportReport:
    """Record the facilities of listed markets from 전통시장현황 (CP949 CSV).

    Find each row's market the way markets_import places it (its 시군구 and name) and set its
    `facilities` and `kind`. Create no market: reject, with line and reason, a row whose market
    is not listed. Raise ImportFileRefused if the file is not that list and MarketsNotImported
    if no market is listed yet; both write nothing.
    """
    text = read_text(file, encodings=(CP949,))
    table = read_table(
        text, dataset=_("전통시장현황"), required=(*FACILITY_IDENTITY_COLUMNS, "시도", "시군구")
    )
    present = [column for column in FACILITY_COLUMNS if column in table.columns]
    if not present:
        raise ImportFileWrongColumns(
            dataset=_("전통시장현황"), missing=", ".join(FACILITY_COLUMNS)
        )
    markets: dict[str, Market] = {}
    # (the first four digits of the 시군구 code, name) → markets, to find a market whose
    # address names a 시 divided into 구 (부천시) but not the 구 it was placed in.
    in_city: dict[tuple[str, str], list[Market]] = {}
    listed = Market.objects.filter(source_key__isnull=False)
    for known in listed.only("source_key", "name", "region", "kind", "facilities"):
        markets[known.source_key or ""] = known
        in_city.setdefault((known.region_id[:4], known.name), []).append(known)
    if not markets:
        raise MarketsNotImported()
    directory = RegionDirectory.load()

    report = ImportReport()
    seen: dict[str, int] = {}
    now = clock.now()
    to_update: list[Market] = []
    for line, record in table.records:
        try:
            cells = record_cells(table, record)
            name = " ".join(cells["시장명"].split())
            kind = _MARKET_KINDS.get(cells["시장 유형"].replace(" ", ""))
            if kind is None:
                raise RowRejected(
                    gettext("시장 유형 '%(value)s'을(를) 알 수 없습니다(전통시장 또는 상점가).")
                    % {"value": cells["시장 유형"]}
                )
            facilities = {
                FACILITY_COLUMNS[column].value: flag
                for column in present
                if (flag := _flag(cells, column)) is not None
            }
            resolution = directory.resolve(
                road=" ".join(cells["도로명주소"].split()), lot=" ".join(cells["지번주소"].split())
            )
            if isinstance(resolution, str) or directory.is_divided_city(resolution.code):
                # The file's own 시도 and 시군구 columns, when the addresses say less.
                stated = directory.resolve(road=f"{cells['시도']} {cells['시군구']}", lot="")
                if not isinstance(stated, str) and (
                    isinstance(resolution, str) or stated.code[:4] == resolution.code[:4]
                ):
                    resolution = stated
            if isinstance(resolution, str):
                raise RowRejected(resolution)
            key = market_source_key(region_code=resolution.code, name=name)
            market: Market | None = markets.get(key)
            candidates = in_city.get((resolution.code[:4], name), [])
            if market is None and directory.is_divided_city(resolution.code) and (
                len(candidates) == 1
            ):
                market = candidates[0]
                key = market.source_key or key
            if market is None:
                raise RowRejected(
                    gettext("시장 목록에 없는 시장입니다: %(name)s (%(region)s)")
                    % {"name": name, "region": directory.full_name(resolution.code)}
                )
            if key in seen:
                raise RowRejected(
                    gettext("같은 시장이 %(line)s번째 줄에 이미 있습니다.") % {"line": seen[key]}
                )
        except RowRejected as rejected:
            report.rejected.append(RowProblem(line, rejected.reason))
            continue
        seen[key] = line
        if market.facilities == facilities and market.kind == kind:
            report.unchanged += 1
            continue
        market.facilities, market.kind, market.updated_at = facilities, kind, now
        to_update.append(market)
        report.updated += 1
    Market.objects.bulk_update(to_update, ["facilities", "kind", "updated_at"], batch_size=500)
    return report
