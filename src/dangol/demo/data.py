"""The demo's literal tables: the market's facts, the stores' names, products, hours and
posts, and the demo's accounts and organisations. `seed.py` generates the demo from them."""

import datetime as dt
from decimal import Decimal
from typing import Any

from dangol.core.tenancy import Role
from dangol.organisations.models import Organisation
from dangol.places.models import Market, Store

DEMO_PASSWORD = "dangol-demo-2026"  # noqa: S105 -- the demo's published password
DEMO_CUSTOMER_PHONE = "010-1234-5678"
DEMO_CUSTOMER_NAME = "김단골"

MARKET_REGION_CODE = "26350"
MARKET_NAME = "반송큰시장(반송2동시장)"
MARKET_ROAD_ADDRESS = "부산광역시 해운대구 윗반송로51번길 86"
MARKET_LATITUDE = Decimal("35.231117")
MARKET_LONGITUDE = Decimal("129.156210")
FEATURED_STORE = "반송수산"

# Facts from 소상공인시장진흥공단 전국전통시장표준데이터 (2024-11-04), kept equal to what
# `dangol import markets` writes so that importing the national file later updates this row.
MARKET_FACTS: dict[str, Any] = {
    "name": MARKET_NAME,
    "market_type": Market.MarketType.PERMANENT,
    "cycle": "매일",
    "road_address": MARKET_ROAD_ADDRESS,
    "lot_address": "부산광역시 해운대구 반송2동 40-762",
    "latitude": MARKET_LATITUDE,
    "longitude": MARKET_LONGITUDE,
    "store_count": 171,
    "products": ["농산물", "축산물", "수산물", "가공식품", "의류", "신발", "가정용품", "음식점"],
    "has_public_toilet": True,
    "has_parking": True,
    "opened_year": 1970,
    "phone": "051-544-9005",
    "source_name": "소상공인시장진흥공단",
    "source_date": dt.date(2024, 11, 4),
}

C = Store.Category

# Shop names per category, as they hang over the stalls of a Busan market.
STORE_NAMES: dict[str, list[str]] = {
    C.PRODUCE: ["반송청과", "햇살과일", "부산농산", "싱싱야채", "해운대청과", "할매채소",
                "보성농산", "제철과일가게", "윗반송야채"],
    C.SEAFOOD: [FEATURED_STORE, "기장수산", "해운대수산", "송정활어", "만선수산", "부산어물",
                "대변항수산", "바다생선", "영진수산"],
    C.MEAT: ["반송정육점", "한우마을정육", "참한돈축산", "대성축산", "우리정육"],
    C.SIDE_DISHES: ["할매반찬", "엄마손반찬", "반송김치", "맛있는반찬가게", "젓갈나라", "고향반찬"],
    C.RICE_CAKE: ["반송떡집", "할매떡방앗간", "꿀떡공방", "우리제과", "시장빵집"],
    C.GRAIN: ["반송곡물상회", "건어물나라", "대성잡곡", "해운건어물"],
    C.RESTAURANT: ["반송칼국수", "할매국밥", "시장어묵", "원조돼지국밥", "반송분식", "부산밀면",
                   "충무김밥", "옛날통닭", "시장순대"],
    C.CLOTHING: ["반송양품점", "멋쟁이의류", "편한신발", "엄마옷가게"],
    C.HOUSEHOLD: ["반송철물", "대성그릇", "만물상회"],
    C.HEALTH: ["반송건강원", "약초할매"],
    C.FLOWERS: ["반송꽃집", "들꽃화원"],
    C.OTHER: ["반송열쇠", "구두수선집"],
}

# What each kind of shop sells: (name, unit, usual price in won).
PRODUCTS: dict[str, list[tuple[str, str, int]]] = {
    C.PRODUCE: [("사과", "1봉(5개)", 10_000), ("배", "1개", 5_000), ("감귤", "1kg", 6_000),
                ("대파", "1단", 3_000), ("양파", "1망", 5_000), ("감자", "1kg", 4_000),
                ("배추", "1포기", 4_500), ("무", "1개", 2_000), ("시금치", "1단", 2_500),
                ("딸기", "1팩", 9_000), ("풋고추", "500g", 5_000)],
    C.SEAFOOD: [("고등어", "1손", 12_000), ("갈치", "1마리", 15_000), ("오징어", "2마리", 10_000),
                ("꽃게", "1kg", 25_000), ("전복", "10미", 30_000), ("가자미", "1마리", 8_000),
                ("참조기", "1두름", 20_000), ("홍합", "1kg", 5_000), ("바지락", "1kg", 8_000),
                ("생태", "1마리", 9_000)],
    C.MEAT: [("한우 등심", "100g", 13_000), ("한돈 삼겹살", "600g", 16_000),
             ("한돈 목살", "600g", 15_000), ("생닭", "1마리", 9_000), ("소불고기", "600g", 18_000),
             ("돼지 앞다리", "1kg", 12_000), ("한우 사골", "1kg", 10_000)],
    C.SIDE_DISHES: [("배추김치", "1kg", 9_000), ("깍두기", "1kg", 8_000),
                    ("멸치볶음", "200g", 5_000), ("콩자반", "200g", 4_000),
                    ("오징어젓", "300g", 7_000), ("나물 세트", "3종", 10_000),
                    ("장조림", "300g", 8_000), ("총각김치", "1kg", 9_000)],
    C.RICE_CAKE: [("꿀떡", "1팩", 4_000), ("시루떡", "1팩", 5_000), ("인절미", "1팩", 5_000),
                  ("가래떡", "1kg", 7_000), ("송편", "1kg", 12_000), ("찹쌀도넛", "5개", 3_000),
                  ("단팥빵", "1개", 1_500), ("카스텔라", "1개", 6_000)],
    C.GRAIN: [("햅쌀", "10kg", 32_000), ("현미", "4kg", 15_000), ("혼합잡곡", "1kg", 9_000),
              ("마른멸치", "1kg", 25_000), ("마른오징어", "5마리", 30_000), ("김", "100장", 12_000),
              ("참깨", "500g", 12_000), ("들기름", "350ml", 15_000)],
    C.RESTAURANT: [("칼국수", "1그릇", 6_000), ("돼지국밥", "1그릇", 9_000),
                   ("순대국밥", "1그릇", 9_000), ("밀면", "1그릇", 8_000), ("어묵", "1꼬치", 1_000),
                   ("떡볶이", "1인분", 4_000), ("김밥", "1줄", 3_000), ("충무김밥", "1인분", 7_000),
                   ("옛날통닭", "1마리", 17_000), ("순대", "1인분", 5_000)],
    C.CLOTHING: [("몸빼바지", "1벌", 10_000), ("면티셔츠", "1장", 8_000),
                 ("누빔조끼", "1벌", 25_000),
                 ("양말", "5켤레", 5_000), ("고무신", "1켤레", 8_000), ("운동화", "1켤레", 35_000),
                 ("장화", "1켤레", 15_000), ("앞치마", "1장", 7_000)],
    C.HOUSEHOLD: [("고무장갑", "1켤레", 2_000), ("스테인리스 냄비", "1개", 25_000),
                  ("수세미", "3개", 2_000), ("빗자루", "1개", 8_000),
                  ("플라스틱 바구니", "1개", 3_000),
                  ("나무 도마", "1개", 12_000), ("LED 전구", "1개", 3_000)],
    C.HEALTH: [("흑염소 진액", "30포", 120_000), ("홍삼 진액", "30포", 90_000),
               ("도라지청", "500g", 25_000), ("칡즙", "30포", 50_000), ("헛개차", "500g", 20_000),
               ("건대추", "1kg", 15_000)],
    C.FLOWERS: [("장미", "10송이", 15_000), ("카네이션 바구니", "1개", 30_000),
                ("다육이 화분", "1개", 5_000), ("국화 화분", "1개", 10_000),
                ("꽃다발", "1개", 25_000), ("동양란 화분", "1개", 50_000)],
    C.OTHER: [("열쇠 복사", "1개", 3_000), ("구두 굽 수선", "1켤레", 10_000),
              ("도장 새김", "1개", 15_000), ("가방 수선", "1건", 15_000),
              ("칼갈이", "1자루", 3_000)],
}

FEATURED_PRODUCTS = [("고등어", "1손", 12_000), ("갈치", "1마리", 15_000),
                     ("오징어", "2마리", 10_000), ("전복", "10미", 30_000), ("꽃게", "1kg", 25_000)]

HOURS: dict[str, list[str]] = {
    "market": ["매일 07:00–20:00", "월–토 08:00–19:00 (일요일 휴무)",
               "매일 08:00–20:00 (첫째·셋째 일요일 휴무)", "매일 06:30–19:30"],
    C.RESTAURANT: ["매일 10:00–21:00", "화–일 11:00–20:00 (월요일 휴무)", "매일 09:00–22:00"],
    C.CLOTHING: ["매일 09:30–19:00", "월–토 10:00–19:00"],
}

# Post titles and bodies; {product} is one of the store's products.
POSTS: list[tuple[str, str]] = [
    ("오늘 들어온 {product}",
     "오늘 아침에 들어온 {product}입니다. 물량이 많지 않으니 일찍 오세요."),
    ("마감 세일 안내", "저녁 6시부터 {product} 포함 일부 상품을 할인합니다. 단골님들 감사합니다."),
    ("명절 영업 안내", "명절 연휴에도 오전에는 문을 엽니다. {product} 미리 주문 받습니다."),
    ("{product} 맛있게 드시는 법", "가게에 오시면 {product} 손질과 보관법을 알려 드립니다."),
    ("반송큰시장 단골 이벤트", "단골 맺으신 분께 {product} 구매 시 덤을 드립니다."),
]

# (role label, e-mail, name) of the staff-side demo accounts.
ACCOUNTS = [
    ("admin", "admin@dangol.kr", "관리자"),
    (Role.OWNER, "owner@dangol.kr", "김사장"),
    (Role.STAFF, "staff@dangol.kr", "이직원"),
    (Role.ASSOCIATION, "association@dangol.kr", "박상인"),
    (Role.TUTOR, "tutor@dangol.kr", "최튜터"),
    (Role.OPERATOR, "operator@dangol.kr", "정운영"),
    (Role.AUDITOR, "auditor@dangol.kr", "한감사"),
]
OPERATOR_ORGANISATION = ("부산광역시 해운대구청", Organisation.Kind.CITY)
AUDITOR_ORGANISATION = ("과학기술정보통신부", Organisation.Kind.MINISTRY)
PLATFORM_ORGANISATION = ("단골 플랫폼 운영사", Organisation.Kind.PLATFORM)

# Busan tax offices' codes: the first three digits of a local merchant's BRN.
BRN_OFFICE_CODES = ["605", "606", "607", "617", "621", "623"]
