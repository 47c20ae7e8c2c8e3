"""`market_facilities_import` (`dangol import facilities`) on small files written from synthetic
rows.
"""

import pytest

from dangol.places.errors import ImportFileWrongColumns, MarketsNotImported
from dangol.places.importers.facilities import market_facilities_import
from dangol.places.importers.markets import markets_import
from dangol.places.models import Market
from tests.places.importers.files import (
    FACILITY_COLUMNS,
    database_state,
    facility_row,
    market_row,
    write_markets,
)

# --- market facilities ----------------------------------------------------------------------


def test_facilities_import_records_the_facilities_of_a_listed_market(regions, tmp_path):
    markets_import(file=write_markets(tmp_path / "m.csv", [market_row()]))
    path = write_markets(tmp_path / "f.csv", [facility_row()], columns=FACILITY_COLUMNS)

    report = market_facilities_import(file=path)

    assert (report.updated, report.created, report.rejected) == (1, 0, [])
    market = Market.objects.get()
    assert market.facilities == {"arcade": True, "lounge": False}
    assert market.kind == Market.Kind.MARKET
    again = market_facilities_import(file=path)
    assert (again.updated, again.unchanged) == (0, 1)


def test_facilities_import_finds_a_market_by_its_old_region_and_its_city(regions, tmp_path):
    rows = [
        market_row(시장명="가", 소재지도로명주소="강원특별자치도 춘천시 가상로 1"),
        market_row(시장명="나", 소재지도로명주소="경기도 부천시 소사구 가상로 2"),
    ]
    markets_import(file=write_markets(tmp_path / "m.csv", rows))
    facilities = [
        facility_row(시장명="가", 도로명주소="강원도 춘천시 가상로 1", 지번주소="", 시도="강원도"),
        facility_row(시장명="나", 도로명주소="경기도 부천시 가상로 2", 지번주소="", 시도="경기도",
                     시군구="부천시"),
    ]
    report = market_facilities_import(
        file=write_markets(tmp_path / "f.csv", facilities, columns=FACILITY_COLUMNS)
    )
    assert (report.updated, report.rejected) == (2, [])


def test_facilities_import_reports_an_unlisted_market_and_creates_none(regions, tmp_path):
    markets_import(file=write_markets(tmp_path / "m.csv", [market_row()]))
    rows = [facility_row(), facility_row(시장명="없는시장")]
    report = market_facilities_import(
        file=write_markets(tmp_path / "f.csv", rows, columns=FACILITY_COLUMNS)
    )
    assert [(problem.line, problem.reason) for problem in report.rejected] == [
        (3, "시장 목록에 없는 시장입니다: 없는시장 (부산광역시 해운대구)")
    ]
    assert Market.objects.count() == 1


def test_facilities_import_before_markets_asks_for_markets_first(regions, tmp_path):
    path = write_markets(tmp_path / "f.csv", [facility_row()], columns=FACILITY_COLUMNS)
    with pytest.raises(MarketsNotImported, match="dangol import markets"):
        market_facilities_import(file=path)


def test_facilities_import_refuses_the_market_list_and_writes_nothing(existing_market, tmp_path):
    before = database_state()
    with pytest.raises(ImportFileWrongColumns, match="전통시장현황 파일이 아닙니다"):
        market_facilities_import(file=write_markets(tmp_path / "m.csv", [market_row()]))
    assert database_state() == before
