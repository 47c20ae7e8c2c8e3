"""Import the facilities of the listed markets from 전통시장현황 (`market_facilities_import`)
and the file's columns.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.csvfile import CP949
from dangol.places.errors import ImportFileWrongColumns, MarketsNotImported
from dangol.places.importers.addresses import RegionDirectory
from dangol.places.importers.markets import cell_flag
from dangol.places.importers.reading import (
    ImportReport,
    ImportSource,
    RowProblem,
    RowRejected,
    read_table,
    read_text,
    record_cells,
)
from dangol.places.models import Facility, Market, market_source_key

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
                if (flag := cell_flag(cells, column)) is not None
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
