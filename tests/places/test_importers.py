"""The national-data importers: `dangol import regions` and `dangol import markets`.

Small files are written by the tests from synthetic rows; the full official files are read
from ../shared/data by the tests marked `slow`, which skip when the files are absent.
"""

import csv
import io
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from dangol.places.errors import (
    ImportFileEmpty,
    ImportFileRefused,
    ImportFileWrongColumns,
    ImportFileWrongEncoding,
    MarketsNotImported,
    RegionsNotImported,
)
from dangol.places.importers.facilities import market_facilities_import
from dangol.places.importers.markets import MARKET_COLUMNS, markets_import
from dangol.places.importers.regions import REGION_CHANGES, regions_import
from dangol.places.models import Market, Region, market_source_key
from tests.conftest import shared_data_file
from tests.factories import MarketFactory

MARKETS_FILE = "traditional_markets_standard_2024-11-04.cp949.csv"
FACILITIES_FILE = "traditional_markets_facilities_2024-07-19.cp949.csv"
REGIONS_FILE = "legal_dong_codes.csv"

# A legal-dong list as of 2020, cut down to what the tests need: every 시도 of that year, a few
# 시군구, 읍면동 rows (skipped by the import) and abolished rows.
LEGAL_DONG_2020 = [
    ("1100000000", "서울특별시", "존재"),
    ("1159000000", "서울특별시 동작구", "존재"),
    ("2100000000", "부산직할시", "폐지"),
    ("2135000000", "부산직할시 해운대구", "폐지"),
    ("2600000000", "부산광역시", "존재"),
    ("2623000000", "부산광역시 부산진구", "존재"),
    ("2635000000", "부산광역시 해운대구", "존재"),
    ("2635010500", "부산광역시 해운대구 반송동", "존재"),
    ("2700000000", "대구광역시", "존재"),
    ("2729000000", "대구광역시 달서구", "존재"),
    ("2800000000", "인천광역시", "존재"),
    ("2817000000", "인천광역시 남구", "폐지"),
    ("2817700000", "인천광역시 미추홀구", "존재"),
    ("2900000000", "광주광역시", "존재"),
    ("3000000000", "대전광역시", "존재"),
    ("3100000000", "울산광역시", "존재"),
    ("3611000000", "세종특별자치시", "존재"),
    ("3611025000", "세종특별자치시 조치원읍", "존재"),
    ("4100000000", "경기도", "존재"),
    ("4111000000", "경기도 수원시", "존재"),
    ("4111100000", "경기도 수원시 장안구", "존재"),
    ("4111300000", "경기도 수원시 권선구", "존재"),
    ("4119000000", "경기도 부천시", "존재"),
    ("4119500000", "경기도 부천시 원미구", "폐지"),
    ("4119700000", "경기도 부천시 소사구", "폐지"),
    ("4119900000", "경기도 부천시 오정구", "폐지"),
    ("4200000000", "강원도", "존재"),
    ("4211000000", "강원도 춘천시", "존재"),
    ("4211010100", "강원도 춘천시 운교동", "존재"),
    ("4271000000", "강원도 춘성군", "폐지"),
    ("4300000000", "충청북도", "존재"),
    ("4374000000", "충청북도 영동군", "존재"),
    ("4374500000", "충청북도 증평군", "존재"),
    ("4400000000", "충청남도", "존재"),
    ("4500000000", "전라북도", "존재"),
    ("4511000000", "전라북도 전주시", "존재"),
    ("4511100000", "전라북도 전주시 완산구", "존재"),
    ("4600000000", "전라남도", "존재"),
    ("4700000000", "경상북도", "존재"),
    ("4772000000", "경상북도 군위군", "존재"),
    ("4800000000", "경상남도", "존재"),
    ("4889000000", "경상남도 합천군", "존재"),
    ("5000000000", "제주특별자치도", "존재"),
]


def write_regions(path: Path, rows=LEGAL_DONG_2020, header=("법정동코드", "법정동명", "폐지여부")):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def market_row(**values: str) -> dict[str, str]:
    """Return one synthetic row of the market file; keyword arguments replace columns."""
    row = {
        "시장명": "가상시장",
        "시장유형": "상설장+5일장",
        "소재지도로명주소": "부산광역시 해운대구 가상로 1",
        "소재지지번주소": "부산광역시 해운대구 반송동 1-1",
        "시장개설주기": "2일+7일",
        "위도": "35.23111734",
        "경도": "129.1562",
        "점포수": "120",
        "취급품목": "농산물+수산물+ 음식점 +",
        "사용가능상품권": "온누리상품권",
        "홈페이지주소": "https://market.example.kr",
        "공중화장실보유여부": "Y",
        "주차장보유여부": "N",
        "개설연도": "1975",
        "전화번호": "051-000-0000",
        "데이터기준일자": "2024-11-04",
        "제공기관코드": "B553077",
        "제공기관명": "소상공인시장진흥공단",
    }
    row.update(values)
    return row


def write_markets(path: Path, rows, *, encoding="cp949", columns=MARKET_COLUMNS) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def database_state() -> tuple:
    """Return everything the importers may write, to compare before and after."""
    return (
        list(Region.objects.order_by("code").values_list()),
        list(Market.objects.order_by("id").values_list()),
    )


@pytest.fixture
def regions(db, tmp_path):
    """Import the cut-down 2020 legal-dong list."""
    return regions_import(file=write_regions(tmp_path / "regions.csv"))


# --- regions --------------------------------------------------------------------------------


def test_regions_import_creates_sido_and_sigungu_with_names_and_parents(regions):
    haeundae = Region.objects.get(code="26350")
    assert haeundae.level == Region.Level.SIGUNGU
    assert (haeundae.name, haeundae.full_name) == ("해운대구", "부산광역시 해운대구")
    assert haeundae.parent_id == "26" and haeundae.is_active
    busan = Region.objects.get(code="26")
    assert (busan.level, busan.name, busan.parent_id) == (Region.Level.SIDO, "부산광역시", None)
    assert Region.objects.get(code="41111").name == "수원시 장안구"
    assert regions.skipped == 3  # 읍면동 rows
    assert regions.rejected == []


def test_regions_import_keeps_abolished_regions_inactive(regions):
    assert not Region.objects.get(code="21").is_active
    assert not Region.objects.get(code="21350").is_active
    assert Region.objects.get(code="28170").successor_id == "28177"


def test_regions_import_moves_gangwon_from_42_to_51(regions):
    gangwon = Region.objects.get(code="51")
    assert (gangwon.name, gangwon.is_active) == ("강원특별자치도", True)
    chuncheon = Region.objects.get(code="51110")
    assert (chuncheon.full_name, chuncheon.parent_id, chuncheon.is_active) == (
        "강원특별자치도 춘천시", "51", True
    )
    old = Region.objects.get(code="42")
    assert (old.is_active, old.successor_id) == (False, "51")
    old_chuncheon = Region.objects.get(code="42110")
    assert (old_chuncheon.is_active, old_chuncheon.successor_id) == (False, "51110")
    # A county abolished long before keeps no successor and is not moved.
    assert not Region.objects.filter(code="51710").exists()


def test_regions_import_moves_jeonbuk_from_45_to_52_with_its_gu(regions):
    assert Region.objects.get(code="52").name == "전북특별자치도"
    wansan = Region.objects.get(code="52111")
    assert (wansan.name, wansan.full_name, wansan.is_active) == (
        "전주시 완산구", "전북특별자치도 전주시 완산구", True
    )
    assert Region.objects.get(code="45111").successor_id == "52111"
    assert Region.objects.get(code="45").successor_id == "52"
    assert not Region.objects.get(code="45110").is_active


def test_regions_import_moves_gunwi_from_gyeongbuk_to_daegu(regions):
    gunwi = Region.objects.get(code="27720")
    assert (gunwi.full_name, gunwi.parent_id, gunwi.is_active) == ("대구광역시 군위군", "27", True)
    old = Region.objects.get(code="47720")
    assert (old.is_active, old.successor_id) == (False, "27720")


def test_regions_import_adds_bucheon_gu_of_2024_and_sejong_sido(regions):
    for old, new, name in [
        ("41195", "41192", "부천시 원미구"),
        ("41197", "41194", "부천시 소사구"),
        ("41199", "41196", "부천시 오정구"),
    ]:
        region = Region.objects.get(code=new)
        assert (region.name, region.is_active, region.parent_id) == (name, True, "41")
        assert Region.objects.get(code=old).successor_id == new
    sejong = Region.objects.get(code="36")
    assert (sejong.level, sejong.is_active) == (Region.Level.SIDO, True)
    assert Region.objects.get(code="36110").parent_id == "36"


def test_regions_import_twice_changes_nothing(regions, tmp_path):
    before = database_state()
    again = regions_import(file=write_regions(tmp_path / "again.csv"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, regions.created)
    assert database_state() == before


def test_regions_import_updates_a_renamed_region_in_place(regions, tmp_path):
    Region.objects.filter(code="26350").update(name="옛 이름", full_name="옛 이름")
    again = regions_import(file=write_regions(tmp_path / "again.csv"))
    assert again.updated == 1
    assert Region.objects.get(code="26350").name == "해운대구"


def test_regions_import_reports_a_bad_code_with_its_line(db, tmp_path):
    rows = [*LEGAL_DONG_2020[:3], ("26350", "부산광역시 해운대구", "존재")]
    report = regions_import(file=write_regions(tmp_path / "regions.csv", rows))
    assert [(problem.line, problem.reason) for problem in report.rejected] == [
        (5, "법정동코드 '26350'은(는) 10자리 숫자가 아닙니다.")
    ]


def test_regions_import_refuses_a_file_without_its_columns_and_writes_nothing(regions, tmp_path):
    before = database_state()
    path = write_regions(tmp_path / "other.csv", header=("코드", "이름", "상태"))
    with pytest.raises(ImportFileWrongColumns) as refused:
        regions_import(file=path)
    assert "법정동코드" in refused.value.message
    assert "아무것도 가져오지 않았습니다" in refused.value.message
    assert database_state() == before


# --- markets: mapping and regions -----------------------------------------------------------


def test_markets_import_maps_every_column(regions, tmp_path):
    report = markets_import(file=write_markets(tmp_path / "m.csv", [market_row()]))

    assert (report.created, report.total, report.rejected) == (1, 1, [])
    market = Market.objects.get()
    assert market.name == "가상시장"
    assert market.market_type == Market.MarketType.BOTH
    assert market.cycle == "2일+7일"
    assert market.region_id == "26350"
    assert market.road_address == "부산광역시 해운대구 가상로 1"
    assert market.lot_address == "부산광역시 해운대구 반송동 1-1"
    assert (market.latitude, market.longitude) == (Decimal("35.231117"), Decimal("129.156200"))
    assert market.store_count == 120
    assert market.products == ["농산물", "수산물", "음식점"]
    assert market.vouchers_accepted == "온누리상품권"
    assert market.homepage == "https://market.example.kr"
    assert (market.has_public_toilet, market.has_parking) == (True, False)
    assert market.opened_year == 1975
    assert market.phone == "051-000-0000"
    assert market.source_key == market_source_key(region_code="26350", name="가상시장")
    assert market.source_name == "소상공인시장진흥공단"
    assert market.source_date == date(2024, 11, 4)
    assert market.kind == Market.Kind.MARKET


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("상설장", Market.MarketType.PERMANENT),
        ("5일장", Market.MarketType.FIVE_DAY),
        ("상설장 + 5일장", Market.MarketType.BOTH),
    ],
)
def test_markets_import_reads_the_market_type(regions, tmp_path, value, expected):
    markets_import(file=write_markets(tmp_path / "m.csv", [market_row(시장유형=value)]))
    assert Market.objects.get().market_type == expected


def test_markets_import_leaves_blank_values_empty(regions, tmp_path):
    row = market_row(위도="", 경도="", 점포수="", 개설연도="", 주차장보유여부="", 취급품목="")
    markets_import(file=write_markets(tmp_path / "m.csv", [row]))
    market = Market.objects.get()
    assert (market.latitude, market.longitude, market.store_count) == (None, None, None)
    assert (market.opened_year, market.has_parking, market.products) == (None, None, [])


@pytest.mark.parametrize(
    ("road", "lot", "region", "how"),
    [
        ("경기도 수원시 장안구 가상로 1", "", "41111", "exact"),
        ("강원특별자치도 춘천시 가상로 1", "", "51110", "exact"),
        ("강원도 춘천시 가상로 1", "", "51110", "successor"),
        ("전라북도 전주시 완산구 가상로 1", "", "52111", "successor"),
        ("경상북도 군위군 군위읍 가상로 1", "", "27720", "successor"),
        ("대구광역시 군위군 군위읍 가상로 1", "", "27720", "exact"),
        ("경기도 부천시 원미구 가상로 1", "", "41192", "exact"),
        ("세종특별자치시 조치원읍 가상로 1", "", "36110", "single_tier"),
        ("", "부산광역시 해운대구 반송동 1-1", "26350", "lot_address"),
        ("  부산광역시   해운대구  가상로 1 (반송동) ", "", "26350", "exact"),
        ("충청북도 영동군 가상로 1", "", "43740", "exact"),
    ],
)
def test_markets_import_finds_the_current_sigungu(regions, tmp_path, road, lot, region, how):
    row = market_row(소재지도로명주소=road, 소재지지번주소=lot)
    report = markets_import(file=write_markets(tmp_path / "m.csv", [row]))
    assert report.rejected == []
    assert Market.objects.get().region_id == region
    assert report.resolutions == Counter({how: 1})


@pytest.mark.parametrize(
    ("road", "lot", "region", "how", "note"),
    [
        (
            "대구광역시 달석구 가상로 1", "대구광역시 달석구 가상동 1", "27290", "corrected_typo",
            "주소의 '달석구'을(를) 오기로 보고 대구광역시 달서구에 넣었습니다.",
        ),
        (
            "서울특별시 동작구가상로1", "", "11590", "corrected_spacing",
            "주소 '동작구가상로1'의 띄어쓰기를 바로잡아 서울특별시 동작구에 넣었습니다.",
        ),
        (
            "경상남도 가상면 가상로 1", "경상남도 합천군 가상면 1", "48890", "lot_address",
            "도로명주소 '경상남도 가상면 가상로 1'에서 시군구를 찾지 못해 지번주소로 "
            "경상남도 합천군에 넣었습니다.",
        ),
        (
            "경기도 수원시 가상로 1", "경기도 수원시 권선구 가상동 1", "41113", "lot_address",
            "도로명주소 '경기도 수원시 가상로 1'에서 시군구를 찾지 못해 지번주소로 "
            "경기도 수원시 권선구에 넣었습니다.",
        ),
        (
            "경기도 수원시 가상로 1", "경기도 수원시 가상동 1", "41110", "city_without_gu",
            "주소 '경기도 수원시 가상로 1'에 구가 없어 경기도 수원시에 넣었습니다.",
        ),
        (
            "경기도 수원시 권선 구 가상로 1", "", "41113", "corrected_spacing",
            "주소 '수원시 권선 구'의 띄어쓰기를 바로잡아 경기도 수원시 권선구에 넣었습니다.",
        ),
    ],
)
def test_markets_import_corrects_a_stray_address_and_says_so(
    regions, tmp_path, road, lot, region, how, note
):
    row = market_row(소재지도로명주소=road, 소재지지번주소=lot)
    report = markets_import(file=write_markets(tmp_path / "m.csv", [row]))
    assert Market.objects.get().region_id == region
    assert report.resolutions == Counter({how: 1})
    assert [(problem.line, problem.reason) for problem in report.corrected] == [(2, note)]


def test_markets_import_does_not_guess_between_two_similar_names(regions, tmp_path):
    # 장선구 is one letter from both 장안구 and 권선구: the market stays in 수원시.
    row = market_row(소재지도로명주소="경기도 수원시 장선구 가상로 1", 소재지지번주소="")
    report = markets_import(file=write_markets(tmp_path / "m.csv", [row]))
    assert Market.objects.get().region_id == "41110"
    assert report.resolutions == Counter({"city_without_gu": 1})


def test_markets_import_rejects_an_unknown_sigungu_rather_than_guess(regions, tmp_path):
    row = market_row(소재지도로명주소="부산광역시 남서구 가상로 1", 소재지지번주소="")
    report = markets_import(file=write_markets(tmp_path / "m.csv", [row]))
    assert [problem.reason for problem in report.rejected] == [
        "주소에서 현행 시군구를 찾을 수 없습니다: 부산광역시 남서구 가상로 1"
    ]


def test_markets_import_counts_markets_by_reconciled_change(regions, tmp_path):
    rows = [
        market_row(시장명="가", 소재지도로명주소="강원특별자치도 춘천시 가상로 1"),
        market_row(시장명="나", 소재지도로명주소="강원도 춘천시 가상로 2"),
        market_row(시장명="다", 소재지도로명주소="대구광역시 군위군 가상로 3"),
        market_row(시장명="라"),
    ]
    report = markets_import(file=write_markets(tmp_path / "m.csv", rows))
    assert report.reconciled == Counter(
        {"강원도 → 강원특별자치도": 2, "경상북도 군위군 → 대구광역시 군위군": 1}
    )


# --- markets: rows it cannot use ------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"위도": "abc"}, "위도 값 'abc'은(는) 숫자가 아닙니다."),
        ({"경도": "NaN"}, "경도 값 'NaN'은(는) 숫자가 아닙니다."),
        (
            {"위도": "1e40"},
            "위도·경도가 대한민국 범위를 벗어납니다(위도 1e40, 경도 129.1562).",
        ),
        ({"시장명": " "}, "시장명이 비어 있습니다."),
        (
            {"소재지도로명주소": "가상특별시 가상구 가상로 1", "소재지지번주소": ""},
            "주소의 시도를 알 수 없습니다: 가상특별시 가상구 가상로 1",
        ),
        (
            {"소재지도로명주소": "부산광역시 가상구 가상로 1", "소재지지번주소": ""},
            "주소에서 현행 시군구를 찾을 수 없습니다: 부산광역시 가상구 가상로 1",
        ),
        (
            {"소재지도로명주소": "", "소재지지번주소": ""},
            "주소가 비어 있습니다(도로명주소와 지번주소 모두 없음).",
        ),
        (
            {"위도": "129.1562", "경도": "35.2311"},
            "위도·경도가 대한민국 범위를 벗어납니다(위도 129.1562, 경도 35.2311).",
        ),
        ({"경도": ""}, "위도와 경도 중 하나만 있습니다."),
        ({"점포수": "약 50"}, "점포수 값 '약 50'은(는) 0 이상의 정수가 아닙니다."),
        ({"점포수": "-3"}, "점포수 값 '-3'은(는) 0 이상의 정수가 아닙니다."),
        ({"점포수": "²"}, "점포수 값 '²'은(는) 0 이상의 정수가 아닙니다."),
        ({"개설연도": "3024"}, "개설연도 '3024'이(가) 올바르지 않습니다."),
        ({"주차장보유여부": "있음"}, "주차장보유여부 값 '있음'은(는) Y 또는 N이어야 합니다."),
        ({"데이터기준일자": "2024-13-01"}, "데이터기준일자 '2024-13-01'이(가) 날짜가 아닙니다."),
        (
            {"시장유형": "야시장"},
            "시장유형 '야시장'을(를) 알 수 없습니다(상설장, 5일장, 상설장+5일장 중 하나).",
        ),
        ({"전화번호": "0" * 41}, "전화번호 값이 너무 깁니다(최대 40자)."),
    ],
)
def test_markets_import_reports_an_unusable_row_and_imports_the_others(
    regions, tmp_path, values, reason
):
    rows = [market_row(시장명="첫째시장"), market_row(**values), market_row(시장명="셋째시장")]
    report = markets_import(file=write_markets(tmp_path / "m.csv", rows))

    assert [(problem.line, problem.reason) for problem in report.rejected] == [(3, reason)]
    assert (report.created, report.total) == (2, 3)
    assert sorted(Market.objects.values_list("name", flat=True)) == ["셋째시장", "첫째시장"]


def test_markets_import_counts_file_lines_across_quoted_line_breaks(regions, tmp_path):
    rows = [market_row(시장명="첫째시장", 취급품목="농산물\n수산물"), market_row(위도="abc")]
    report = markets_import(file=write_markets(tmp_path / "m.csv", rows))
    # Header on line 1, the first row on lines 2–3, the bad row on line 4.
    assert [problem.line for problem in report.rejected] == [4]


def test_markets_import_rejects_a_row_with_missing_cells(regions, tmp_path):
    path = write_markets(tmp_path / "m.csv", [market_row()])
    path.write_bytes(path.read_bytes() + "짧은시장,상설장\r\n".encode("cp949"))
    report = markets_import(file=path)
    assert [(problem.line, problem.reason) for problem in report.rejected] == [
        (3, "열 개수가 맞지 않습니다(18개여야 하는데 2개입니다).")
    ]
    assert report.created == 1


def test_markets_import_rejects_the_second_row_of_a_market_listed_twice(regions, tmp_path):
    rows = [market_row(), market_row(소재지도로명주소="부산광역시 해운대구 다른로 2")]
    report = markets_import(file=write_markets(tmp_path / "m.csv", rows))
    assert [(problem.line, problem.reason) for problem in report.rejected] == [
        (3, "같은 시군구(부산광역시 해운대구)에 같은 이름의 시장이 2번째 줄에 이미 있습니다.")
    ]
    assert Market.objects.count() == 1


# --- markets: files it refuses --------------------------------------------------------------


@pytest.fixture
def existing_market(regions):
    return MarketFactory(name="기존시장", region_id="26350")


def test_markets_import_refuses_a_utf8_file_and_writes_nothing(existing_market, tmp_path):
    before = database_state()
    path = write_markets(tmp_path / "m.csv", [market_row()], encoding="utf-8")
    with pytest.raises(ImportFileWrongEncoding) as refused:
        markets_import(file=path)
    assert refused.value.message == (
        "파일의 문자 인코딩이 CP949이(가) 아닙니다(UTF-8로 저장된 파일입니다). 공공데이터포털에서 "
        "내려받은 원본 파일을 그대로 지정하세요. 아무것도 가져오지 않았습니다."
    )
    assert database_state() == before


def test_markets_import_refuses_bytes_that_are_not_cp949(existing_market, tmp_path):
    before = database_state()
    path = write_markets(tmp_path / "m.csv", [market_row()])
    path.write_bytes(path.read_bytes() + b"\xff\xfe\xff,\r\n")
    with pytest.raises(ImportFileWrongEncoding) as refused:
        markets_import(file=path)
    assert "3번째 줄에 CP949로 읽을 수 없는 바이트가 있습니다" in refused.value.message
    assert database_state() == before


def test_markets_import_refuses_a_file_with_other_columns_and_writes_nothing(
    existing_market, tmp_path
):
    before = database_state()
    columns = ("시장코드", "시장명", "시장 유형", "시도", "시군구")
    path = write_markets(tmp_path / "m.csv", [market_row()], columns=columns)
    with pytest.raises(ImportFileWrongColumns) as refused:
        markets_import(file=path)
    assert refused.value.message.startswith(
        "전국전통시장표준데이터 파일이 아닙니다: 필요한 열이 없습니다(시장유형, 소재지도로명주소, "
    )
    assert database_state() == before


def test_markets_import_refuses_a_file_missing_one_column(existing_market, tmp_path):
    columns = tuple(column for column in MARKET_COLUMNS if column != "위도")
    path = write_markets(tmp_path / "m.csv", [market_row()], columns=columns)
    with pytest.raises(ImportFileWrongColumns) as refused:
        markets_import(file=path)
    assert "필요한 열이 없습니다(위도)" in refused.value.message


HEADER_ONLY = (",".join(MARKET_COLUMNS) + "\r\n").encode("cp949")


@pytest.mark.parametrize("content", [b"", b"\r\n \r\n", HEADER_ONLY])
def test_markets_import_refuses_an_empty_file_and_writes_nothing(
    existing_market, tmp_path, content
):
    before = database_state()
    path = tmp_path / "m.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileEmpty) as refused:
        markets_import(file=path)
    assert refused.value.message == (
        "파일이 비어 있습니다(데이터 행이 없습니다). 아무것도 가져오지 않았습니다."
    )
    assert database_state() == before


def test_markets_import_refused_errors_are_translatable_domain_errors():
    error = ImportFileEmpty()
    assert isinstance(error, ImportFileRefused)
    assert error.code == "import_file_empty"
    assert error.status == 400


def test_markets_import_before_regions_asks_for_regions_first(db, tmp_path):
    with pytest.raises(RegionsNotImported) as refused:
        markets_import(file=write_markets(tmp_path / "m.csv", [market_row()]))
    assert "먼저 `dangol import regions 법정동코드파일`로 지역을 가져온 뒤" in refused.value.message
    assert Market.objects.count() == 0


def test_markets_import_with_only_the_demo_regions_asks_for_regions_first(db, tmp_path):
    MarketFactory()  # the demo's 부산광역시 해운대구 and nothing else
    with pytest.raises(RegionsNotImported) as refused:
        markets_import(file=write_markets(tmp_path / "m.csv", [market_row()]))
    assert "없는 시도 코드: 11, 27, 28" in refused.value.message


# --- markets: running again -----------------------------------------------------------------


def test_markets_import_twice_updates_in_place_and_creates_nothing(regions, tmp_path):
    rows = [market_row(시장명="가"), market_row(시장명="나")]
    markets_import(file=write_markets(tmp_path / "m.csv", rows))
    first = list(Market.objects.order_by("name").values_list("id", "name"))

    again = markets_import(file=write_markets(tmp_path / "m.csv", rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    rows[1] = market_row(시장명="나", 점포수="99")
    changed = markets_import(file=write_markets(tmp_path / "m.csv", rows))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert list(Market.objects.order_by("name").values_list("id", "name")) == first
    assert Market.objects.get(name="나").store_count == 99


def test_markets_import_updates_the_demo_market_instead_of_adding_another(regions, tmp_path):
    name = "반송큰시장(반송2동시장)"
    demo = MarketFactory(
        name=name, region_id="26350", store_count=171, description="데모 소개",
        source_key=market_source_key(region_code="26350", name=name),
    )
    row = market_row(시장명=name, 소재지도로명주소="부산광역시 해운대구 윗반송로51번길 86")
    report = markets_import(file=write_markets(tmp_path / "m.csv", [row]))

    assert (report.created, report.updated) == (0, 1)
    market = Market.objects.get()
    assert market.pk == demo.pk
    assert (market.store_count, market.description) == (120, "데모 소개")
    assert market.source_name == "소상공인시장진흥공단"


def test_markets_import_adopts_a_market_entered_by_hand_with_the_same_name(regions, tmp_path):
    hand = MarketFactory(name="가상시장", region_id="26350", source_key=None)
    report = markets_import(file=write_markets(tmp_path / "m.csv", [market_row()]))
    assert (report.created, report.updated) == (0, 1)
    hand.refresh_from_db()
    assert hand.source_key == market_source_key(region_code="26350", name="가상시장")


def test_markets_import_reports_listed_markets_the_file_no_longer_has(regions, tmp_path):
    markets_import(file=write_markets(tmp_path / "m.csv", [market_row(시장명="가")]))
    report = markets_import(file=write_markets(tmp_path / "m.csv", [market_row(시장명="나")]))
    assert report.absent == 1
    assert Market.objects.count() == 2


def test_markets_import_queries_do_not_grow_with_rows(regions, tmp_path):
    def queries_for(count: int) -> int:
        Market.objects.all().delete()
        rows = [market_row(시장명=f"시장{number}") for number in range(count)]
        path = write_markets(tmp_path / f"m{count}.csv", rows)
        with CaptureQueriesContext(connection) as context:
            markets_import(file=path)
        return len(context.captured_queries)

    assert queries_for(30) == queries_for(3)


# --- market facilities ----------------------------------------------------------------------

FACILITY_COLUMNS = (
    "시장코드", "시장명", "시장 유형", "지번주소", "도로명주소", "시도", "시군구",
    "아케이드 보유 여부", "고객휴게실_보유여부", "자동심장충격기_보유여부",
)


def facility_row(**values: str) -> dict[str, str]:
    """Return one synthetic row of the facilities file; keyword arguments replace columns."""
    row = {
        "시장코드": "x00000001",
        "시장명": "가상시장",
        "시장 유형": "전통시장",
        "지번주소": "부산광역시 해운대구 반송동 1-1",
        "도로명주소": "부산광역시 해운대구 가상로 1",
        "시도": "부산광역시",
        "시군구": "해운대구",
        "아케이드 보유 여부": "Y",
        "고객휴게실_보유여부": "N",
        "자동심장충격기_보유여부": "",
    }
    row.update(values)
    return row


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


# --- the full official files ----------------------------------------------------------------


def sido_counts_in_file(path: str) -> Counter[str]:
    """Return the number of markets per 시도 named in the file's addresses."""
    with open(path, encoding="cp949", newline="") as handle:
        return Counter(
            (row["소재지도로명주소"].strip() or row["소재지지번주소"].strip()).split()[0]
            for row in csv.DictReader(handle)
        )


@pytest.mark.slow
def test_full_files_place_every_market_in_a_current_sigungu(db):
    markets_path = shared_data_file(MARKETS_FILE)
    regions_import(file=shared_data_file(REGIONS_FILE))

    report = markets_import(file=markets_path)

    assert report.total == 1388
    assert (report.created, report.rejected) == (1388, [])
    in_database = Counter(
        dict(Market.objects.values_list("region__parent__name").annotate(n=Count("id")))
    )
    assert in_database == sido_counts_in_file(markets_path)
    assert not Market.objects.exclude(region__is_active=True, region__level="sigungu").exists()
    assert report.reconciled["강원도 → 강원특별자치도"] == in_database["강원특별자치도"]
    assert report.reconciled["전라북도 → 전북특별자치도"] == in_database["전북특별자치도"]
    assert Market.objects.filter(region_id="27720").count() == report.reconciled[
        "경상북도 군위군 → 대구광역시 군위군"
    ]

    again = markets_import(file=markets_path)
    assert (again.created, again.updated, again.unchanged, again.total) == (0, 0, 1388, 1388)
    assert Market.objects.count() == 1388


@pytest.mark.slow
def test_full_file_updates_the_demo_market_instead_of_adding_another(db):
    regions_import(file=shared_data_file(REGIONS_FILE))
    name = "반송큰시장(반송2동시장)"
    demo = MarketFactory(
        name=name, region_id="26350",
        source_key=market_source_key(region_code="26350", name=name),
    )

    report = markets_import(file=shared_data_file(MARKETS_FILE))

    assert (report.created, report.updated, report.total) == (1387, 1, 1388)
    assert list(Market.objects.filter(name=name).values_list("pk", flat=True)) == [demo.pk]
    assert Market.objects.count() == 1388


@pytest.mark.slow
def test_full_facilities_file_finds_the_listed_markets(db):
    regions_import(file=shared_data_file(REGIONS_FILE))
    markets_import(file=shared_data_file(MARKETS_FILE))

    report = market_facilities_import(file=shared_data_file(FACILITIES_FILE))

    assert (report.total, report.created) == (1388, 0)
    assert report.updated == 1388 - len(report.rejected)
    # The facilities file (July 2024) names one market differently from the list (November).
    assert len(report.rejected) == 1
    assert report.rejected[0].reason.startswith("시장 목록에 없는 시장입니다")
    assert Market.objects.count() == 1388


def test_reconciliation_table_names_a_date_and_label_for_every_change():
    for change in REGION_CHANGES:
        assert change.effective <= date(2024, 11, 4)
        assert change.label and change.new
