"""The `dangol import` command: its summary, the rows it rejected or corrected, its errors."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangol.places.importers.markets import markets_import
from dangol.places.models import Market
from tests.places.importers.files import (
    FACILITY_COLUMNS,
    facility_row,
    market_row,
    write_markets,
    write_regions,
)

# --- the command ----------------------------------------------------------------------------


def test_import_command_prints_the_summary_and_each_rejected_row(regions, tmp_path):
    rows = [market_row(시장명="가"), market_row(시장명="나", 위도="abc")]
    out = io.StringIO()
    call_command("import", "markets", str(write_markets(tmp_path / "m.csv", rows)), stdout=out)
    assert out.getvalue().splitlines() == [
        "시장 2개 처리: 새로 만듦 1, 갱신 0, 변경 없음 0, 거부 1",
        "  3번째 줄 거부: 위도 값 'abc'은(는) 숫자가 아닙니다.",
    ]


def test_import_command_prints_corrections_and_how_regions_were_found(regions, tmp_path):
    rows = [market_row(소재지도로명주소="대구광역시 달석구 가상로 1", 소재지지번주소="")]
    out = io.StringIO()
    path = str(write_markets(tmp_path / "m.csv", rows))
    call_command("import", "markets", path, stdout=out, verbosity=2)
    lines = out.getvalue().splitlines()
    assert "  시군구 찾기 – 오기 바로잡음: 1" in lines
    note = "주소의 '달석구'을(를) 오기로 보고 대구광역시 달서구에 넣었습니다."
    assert f"  2번째 줄 바로잡음: {note}" in lines


def test_import_command_fails_on_a_refused_file(regions, tmp_path):
    path = write_markets(tmp_path / "m.csv", [market_row()], encoding="utf-8")
    with pytest.raises(CommandError, match="CP949이\\(가\\) 아닙니다"):
        call_command("import", "markets", str(path), stdout=io.StringIO())
    assert Market.objects.count() == 0


def test_import_command_fails_on_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="파일을 열 수 없습니다"):
        call_command("import", "regions", str(tmp_path / "none.csv"))


def test_import_command_imports_regions(db, tmp_path):
    out = io.StringIO()
    call_command("import", "regions", str(write_regions(tmp_path / "r.csv")), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("지역 ")
    assert "거부 0 (읍면동 3줄은 건너뜀)" in lines[0]
    assert lines[1].startswith("현행 시도 17개, 현행 시군구 ")


def test_import_command_imports_facilities(regions, tmp_path):
    markets_import(file=write_markets(tmp_path / "m.csv", [market_row()]))
    path = write_markets(tmp_path / "f.csv", [facility_row()], columns=FACILITY_COLUMNS)
    out = io.StringIO()
    call_command("import", "facilities", str(path), stdout=out)
    assert out.getvalue().splitlines() == [
        "편의시설 1개 시장 처리: 갱신 1, 변경 없음 0, 거부 0"
    ]


def test_import_command_tells_to_import_regions_first(db, tmp_path):
    with pytest.raises(CommandError, match="dangol import regions"):
        call_command("import", "markets", str(write_markets(tmp_path / "m.csv", [market_row()])))
