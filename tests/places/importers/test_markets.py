"""`markets_import` (`dangol import markets`) on small files written from synthetic rows."""

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangol.places.errors import (
    ImportFileEmpty,
    ImportFileRefused,
    ImportFileWrongColumns,
    ImportFileWrongEncoding,
    RegionsNotImported,
)
from dangol.places.importers.markets import MARKET_COLUMNS, markets_import
from dangol.places.models import Market, market_source_key
from tests.factories import MarketFactory
from tests.places.importers.files import database_state, market_row, write_markets

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
