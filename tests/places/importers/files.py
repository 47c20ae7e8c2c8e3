"""Synthetic files for the importer tests, written as the official files are: a cut-down
legal-dong list and rows of the market and facility files; and the state they may change.
"""

import csv
import io
from pathlib import Path

from dangol.places.importers.markets import MARKET_COLUMNS
from dangol.places.models import Market, Region

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
