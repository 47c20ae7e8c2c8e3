"""The demo: Busan 해운대구 with 반송큰시장 as its main market (DESIGN.md §4).

`demo_seed()` creates regions, the market, about 60 stores with products and posts, about
500 customers who follow them, and one account for each role. Everything is generated from
a fixed random seed and keyed on a natural key (region code, the market's source key, a
store's BRN, a user's phone or e-mail), so a second run finds every row and creates none.
Writes go through the domain services; customers are inserted in bulk after validation.
"""

import datetime as dt
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.db import models, transaction
from django.utils.translation import gettext as _
from faker import Faker

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.brn import brn_check_digit
from dangol.core.phone import InvalidPhone, mobile_normalize
from dangol.core.tenancy import Role
from dangol.demo.campaigns import seed_campaigns
from dangol.demo.money import seed_money
from dangol.demo.programs import seed_programs
from dangol.messaging.models import Campaign, Delivery
from dangol.organisations.models import Organisation, OrganisationMembership
from dangol.organisations.services import organisation_create, organisation_member_add
from dangol.places.models import (
    Market,
    MarketMembership,
    Post,
    Product,
    Region,
    Store,
    StoreMembership,
    market_source_key,
)
from dangol.places.services import (
    market_create,
    market_member_add,
    post_create,
    product_create,
    region_ensure,
    store_create,
    store_member_add,
)
from dangol.programs.models import Application, Enrolment, Grant, Pledge, Program
from dangol.regulars.models import Consent, Follow
from dangol.regulars.services import follow_create
from dangol.settlement.models import Payout, StoreSettlementAccount
from dangol.vouchers.models import Voucher, VoucherProduct

# The same seed gives the same demo on every machine and every run.
RANDOM_SEED = 20250314
DEMO_PASSWORD = "dangol-demo-2026"  # noqa: S105 -- the demo's published password
DEMO_CUSTOMER_PHONE = "010-1234-5678"
DEMO_CUSTOMER_NAME = "김단골"
CUSTOMER_COUNT = 500
FOLLOW_WINDOW_DAYS = 90

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

# Row counts reported by demo_seed, in display order.
COUNTED_MODELS: dict[str, type[models.Model]] = {
    "regions": Region,
    "markets": Market,
    "stores": Store,
    "products": Product,
    "posts": Post,
    "users": User,
    "follows": Follow,
    "store_memberships": StoreMembership,
    "market_memberships": MarketMembership,
    "organisations": Organisation,
    "organisation_memberships": OrganisationMembership,
    "settlement_accounts": StoreSettlementAccount,
    "voucher_products": VoucherProduct,
    "vouchers": Voucher,
    "payouts": Payout,
    "consents": Consent,
    "campaigns": Campaign,
    "deliveries": Delivery,
    "programs": Program,
    "applications": Application,
    "grants": Grant,
    "enrolments": Enrolment,
    "pledges": Pledge,
}


class Writer(Protocol):
    """Where progress goes: a file, or a management command's stdout."""

    def write(self, msg: str, /) -> Any: ...


@dataclass(frozen=True)
class DemoLogin:
    """One demo sign-in, as printed by `dangol demo` and in the README."""

    role: str
    login: str
    password: str
    note: str


@dataclass
class SeedReport:
    """What one `demo_seed` run did: rows created per kind, totals after the run, time."""

    created: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    market_id: int | None = None
    featured_store_id: int | None = None

    @property
    def nothing_created(self) -> bool:
        """Return whether the run found everything already seeded."""
        return not any(self.created.values())


@dataclass(frozen=True)
class StoreSpec:
    """One generated store, before it is written."""

    name: str
    category: str
    brn: str
    phone: str
    hours: str
    sales_band: str
    description: str
    address: str
    latitude: Decimal
    longitude: Decimal
    products: list[tuple[str, str, int]]
    posts: list[tuple[str, str, int]]  # title, body, days ago


@dataclass(frozen=True)
class CustomerSpec:
    """One generated customer and the stores (by BRN) they follow."""

    name: str
    phone: str  # E.164
    joined_days_ago: float
    store_brns: list[str]
    follows_market: bool


def demo_logins() -> list[DemoLogin]:
    """Return the demo's sign-ins: one per role, and the demo customer's phone."""
    store, market = FEATURED_STORE, "반송큰시장"
    notes = {
        "admin": _("관리 사이트 /admin/, 정산 실행 /console/settlement/"),
        Role.OWNER: _("%(store)s 사장님") % {"store": store},
        Role.STAFF: _("%(store)s 직원") % {"store": store},
        Role.ASSOCIATION: _("%(market)s 상인회") % {"market": market},
        Role.TUTOR: _("%(market)s 디지털 튜터") % {"market": market},
        Role.OPERATOR: _("%(org)s 운영자") % {"org": OPERATOR_ORGANISATION[0]},
        Role.AUDITOR: _("%(org)s 감사자") % {"org": AUDITOR_ORGANISATION[0]},
    }
    logins = [
        DemoLogin(
            role=_("관리자") if role == "admin" else str(Role(role).label),
            login=email, password=DEMO_PASSWORD, note=str(notes[role]),
        )
        for role, email, _name in ACCOUNTS
    ]
    logins.append(DemoLogin(
        role=_("고객"), login=DEMO_CUSTOMER_PHONE, password=_("인증번호"),
        note=_("개발용 발신함(/dev/outbox/)과 콘솔에 표시되는 일회용 인증번호로 로그인"),
    ))
    return logins


# --- generation (pure: the same seed gives the same specs) -------------------------------------


def _brn(rng: random.Random, taken: set[str]) -> str:
    while True:
        office = rng.choice(BRN_OFFICE_CODES)
        first = f"{office}{rng.randint(1, 79):02d}{rng.randint(0, 9999):04d}"
        brn = f"{first[:3]}-{first[3:5]}-{first[5:]}{brn_check_digit(first)}"
        if brn not in taken:
            taken.add(brn)
            return brn


def _price(rng: random.Random, usual: int) -> int:
    """Return a shop's price near the usual one, rounded as market prices are (₩500 steps)."""
    price = usual * rng.choice([90, 100, 100, 100, 110]) // 100
    return max(500, price // 500 * 500)


def store_specs(rng: random.Random) -> list[StoreSpec]:
    """Return the demo's stores: every name in STORE_NAMES, with products and posts."""
    taken: set[str] = set()
    specs = []
    stall = 0
    for category, names in STORE_NAMES.items():
        for name in names:
            stall += 1
            brn = _brn(rng, taken)
            phone = f"051-54{rng.choice([3, 4, 5])}-{rng.randint(1000, 9999)}"
            hours = rng.choice(HOURS.get(category, HOURS["market"]))
            sales_band = rng.choices(
                [Store.SalesBand.UNDER_100M, Store.SalesBand.UNDER_300M,
                 Store.SalesBand.UNDER_1B, Store.SalesBand.UNKNOWN],
                weights=[5, 4, 1, 2],
            )[0]
            years = rng.randint(3, 45)
            label = str(Store.Category(category).label)
            description = (
                f"반송큰시장에서 {years}년째 장사하는 {label} 가게입니다. "
                "단골 맺고 소식 받아 보세요."
            )
            if name == FEATURED_STORE:
                products = list(FEATURED_PRODUCTS)
            else:
                products = [
                    (item, unit, _price(rng, usual))
                    for item, unit, usual in rng.sample(PRODUCTS[category], rng.randint(3, 6))
                ]
            post_count = 2 if name == FEATURED_STORE else rng.randint(0, 3)
            posts = []
            for title, body in rng.sample(POSTS, post_count):
                product = rng.choice(products)[0]
                posts.append((
                    title.format(product=product), body.format(product=product),
                    rng.randint(0, FOLLOW_WINDOW_DAYS - 1),
                ))
            specs.append(StoreSpec(
                name=name, category=category, brn=brn, phone=phone, hours=hours,
                sales_band=sales_band, description=description,
                address=f"{MARKET_ROAD_ADDRESS} 반송큰시장 {stall}호",
                latitude=MARKET_LATITUDE + Decimal(rng.randint(-80, 80)) / 100_000,
                longitude=MARKET_LONGITUDE + Decimal(rng.randint(-80, 80)) / 100_000,
                products=products, posts=posts,
            ))
    return specs


def customer_specs(rng: random.Random, stores: list[StoreSpec]) -> list[CustomerSpec]:
    """Return CUSTOMER_COUNT customers with distinct mobile numbers and their follows.

    Some stores are far more popular than others, and more people joined recently than at
    the start of the window, with a bump on the day of a market event, so that follower
    counts and growth charts have a shape.
    """
    fake = Faker("ko_KR")
    fake.seed_instance(RANDOM_SEED)
    popularity = [1 / (1 + 0.15 * rank) for rank in range(len(stores))]
    rng.shuffle(popularity)
    event_day = FOLLOW_WINDOW_DAYS / 2
    phones = {mobile_normalize(DEMO_CUSTOMER_PHONE)}
    specs: list[CustomerSpec] = []
    while len(specs) < CUSTOMER_COUNT:
        try:
            phone = mobile_normalize(f"010-{rng.randint(2000, 9999)}-{rng.randint(0, 9999):04d}")
        except InvalidPhone:
            continue  # a block the numbering plan has not assigned (e.g. 010-59xx)
        if phone in phones:
            continue
        phones.add(phone)
        if rng.random() < 0.15:
            joined = event_day - rng.random()
        else:
            joined = FOLLOW_WINDOW_DAYS * rng.random() ** 1.5
        wanted = rng.choices([1, 2, 3, 4, 5, 6], weights=[20, 25, 22, 15, 10, 8])[0]
        chosen: list[str] = []
        while len(chosen) < wanted:
            spec = rng.choices(stores, weights=popularity)[0]
            if spec.brn not in chosen:
                chosen.append(spec.brn)
        specs.append(CustomerSpec(
            name=fake.name(), phone=phone, joined_days_ago=joined, store_brns=chosen,
            follows_market=rng.random() < 0.25,
        ))
    return specs


# --- writing -----------------------------------------------------------------------------------


def _say(stdout: Writer | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _counts() -> dict[str, int]:
    return {name: model._default_manager.count() for name, model in COUNTED_MODELS.items()}


def _seed_regions() -> Region:
    """Return 해운대구, reusing 부산광역시 and 해운대구 if the national regions are imported."""
    busan = Region.objects.filter(code="26").first()
    if busan is None:
        busan, _created = region_ensure(code="26", name="부산광역시", full_name="부산광역시")
    haeundae = Region.objects.filter(code=MARKET_REGION_CODE).first()
    if haeundae is None:
        haeundae, _created = region_ensure(
            code=MARKET_REGION_CODE, name="해운대구", full_name="부산광역시 해운대구", parent=busan
        )
    return haeundae


def _seed_market(region: Region) -> Market:
    key = market_source_key(region_code=MARKET_REGION_CODE, name=MARKET_NAME)
    market = Market.objects.filter(source_key=key).first()
    if market is not None:
        return market
    return market_create(
        region=region, source_key=key,
        description=(
            "1970년 문을 연 해운대구 반송동의 상설시장입니다. 2025년 3월 '프로젝트 단골' "
            "현장 행사가 열린 곳으로, 상인들이 단골 채널로 손님과 소식을 나눕니다."
        ),
        **MARKET_FACTS,
    )


def _seed_stores(market: Market, specs: list[StoreSpec]) -> dict[str, Store]:
    """Create the stores that are missing (by BRN) with their products and posts; return
    every demo store by BRN."""
    existing = {
        store.brn: store
        for store in Store.objects.filter(brn__in=[spec.brn for spec in specs])
        if store.brn
    }
    now = clock.now()
    for spec in specs:
        if spec.brn in existing:
            continue
        store = store_create(
            market=market, name=spec.name, category=spec.category, brn=spec.brn,
            phone=spec.phone, hours=spec.hours, sales_band=spec.sales_band,
            description=spec.description, address=spec.address,
            latitude=spec.latitude, longitude=spec.longitude,
        )
        for position, (name, unit, price) in enumerate(spec.products):
            product_create(store=store, name=name, unit=unit, price=price, position=position)
        for title, body, days_ago in spec.posts:
            post_create(
                store=store, title=title, body=body,
                published_at=now - dt.timedelta(days=days_ago, hours=days_ago % 7),
            )
        existing[spec.brn] = store
    return existing


def _seed_customers(specs: list[CustomerSpec]) -> dict[str, User]:
    """Insert the customers that are missing (by phone) in bulk; return all by phone.

    Each row is validated (the phone is a Korean mobile number, the fields fit) before the
    bulk insert; sign-up times are then spread over the window, which an insert cannot do
    because `created_at` is stamped on insert.
    """
    now = clock.now()
    phones = [spec.phone for spec in specs]
    existing = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
    new_users = []
    joined_at: dict[str, dt.datetime] = {}
    for spec in specs:
        if spec.phone in existing:
            continue
        joined_at[spec.phone] = now - dt.timedelta(days=spec.joined_days_ago)
        user = User(
            phone=mobile_normalize(spec.phone), name=spec.name,
            phone_verified_at=joined_at[spec.phone],
        )
        user.set_unusable_password()
        user.clean_fields()
        new_users.append(user)
    User.objects.bulk_create(new_users, batch_size=500)
    users = {user.phone: user for user in User.objects.filter(phone__in=phones) if user.phone}
    if joined_at:
        backdated = []
        for phone, moment in joined_at.items():
            users[phone].created_at = moment
            backdated.append(users[phone])
        User.objects.bulk_update(backdated, ["created_at"], batch_size=500)
    return users


def _follow_at(*, customer: User, moment: dt.datetime, store: Store | None = None,
               market: Market | None = None) -> None:
    """Follow as if it happened at `moment`: follow_create stamps the clock's time."""
    with clock.travel(moment):
        follow_create(customer=customer, store=store, market=market, source=Follow.Source.DEMO)


def _seed_follows(
    *, rng: random.Random, specs: list[CustomerSpec], users: dict[str, User],
    stores: dict[str, Store], market: Market,
) -> None:
    """Create the missing follows, each at a time after its customer joined."""
    now = clock.now()
    ids = [users[spec.phone].pk for spec in specs]
    existing = set(
        Follow.objects.filter(customer_id__in=ids)
        .values_list("customer_id", "store_id", "market_id")
    )
    for spec in specs:
        customer = users[spec.phone]
        joined = now - dt.timedelta(days=spec.joined_days_ago)
        for index, brn in enumerate(spec.store_brns):
            # Draw even when the follow exists, so the times do not depend on what is seeded.
            later = rng.random() * spec.joined_days_ago
            moment = joined if index == 0 else now - dt.timedelta(days=later)
            store = stores[brn]
            if (customer.pk, store.pk, None) not in existing:
                _follow_at(customer=customer, store=store, moment=moment)
        later = rng.random() * spec.joined_days_ago
        if spec.follows_market and (customer.pk, None, market.pk) not in existing:
            _follow_at(customer=customer, market=market, moment=now - dt.timedelta(days=later))


def _staff_user(*, email: str, name: str, superuser: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    if superuser:
        return User.objects.create_superuser(email=email, password=DEMO_PASSWORD, name=name)
    return User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)


def _organisation(name: str, kind: str) -> Organisation:
    organisation = Organisation.objects.filter(name=name).first()
    return organisation or organisation_create(name=name, kind=kind)


def _seed_accounts(*, market: Market, featured: Store, stores: dict[str, Store]) -> None:
    """Create one account per role with its membership, the admin and the demo customer."""
    users = {
        role: _staff_user(email=email, name=name, superuser=role == "admin")
        for role, email, name in ACCOUNTS
    }
    store_member_add(store=featured, user=users[Role.OWNER], role=Role.OWNER)
    store_member_add(store=featured, user=users[Role.STAFF], role=Role.STAFF)
    market_member_add(market=market, user=users[Role.ASSOCIATION], role=Role.ASSOCIATION)
    market_member_add(market=market, user=users[Role.TUTOR], role=Role.TUTOR)
    organisation_member_add(
        organisation=_organisation(*OPERATOR_ORGANISATION), user=users[Role.OPERATOR],
        role=Role.OPERATOR,
    )
    organisation_member_add(
        organisation=_organisation(*AUDITOR_ORGANISATION), user=users[Role.AUDITOR],
        role=Role.AUDITOR,
    )

    phone = mobile_normalize(DEMO_CUSTOMER_PHONE)
    customer = User.objects.filter(phone=phone).first()
    if customer is None:
        customer = User.objects.create_user(
            phone=phone, name=DEMO_CUSTOMER_NAME, phone_verified_at=clock.now()
        )
    by_name = {store.name: store for store in stores.values()}
    # The demo customer has been a regular for a month (so last week's messages reached them).
    since = clock.now() - dt.timedelta(days=30)
    for name in (FEATURED_STORE, "할매반찬", "반송떡집", "반송칼국수"):
        _follow_at(customer=customer, store=by_name[name], moment=since)
    _follow_at(customer=customer, market=market, moment=since)


def demo_seed(*, stdout: Writer | None = None) -> SeedReport:
    """Seed the 반송큰시장 demo, creating only what is missing, in one transaction.

    Return what was created. A second run creates nothing. Progress goes to `stdout`.
    """
    started = time.perf_counter()
    rng = random.Random(RANDOM_SEED)  # noqa: S311 -- demo data, not secrets
    before = _counts()
    with transaction.atomic():
        region = _seed_regions()
        market = _seed_market(region)
        _say(stdout, _("시장: %(name)s") % {"name": market.name})
        store_list = store_specs(rng)
        stores = _seed_stores(market, store_list)
        _say(stdout, _("가게 %(count)d곳") % {"count": len(stores)})
        customers = customer_specs(rng, store_list)
        users = _seed_customers(customers)
        _say(stdout, _("고객 %(count)d명") % {"count": len(customers)})
        _seed_follows(rng=rng, specs=customers, users=users, stores=stores, market=market)
        featured = next(s for s in stores.values() if s.name == FEATURED_STORE)
        _seed_accounts(market=market, featured=featured, stores=stores)
        seed_money(
            market=market, stores=list(stores.values()), featured=featured,
            customer=User.objects.get(phone=mobile_normalize(DEMO_CUSTOMER_PHONE)),
            owner=User.objects.get(email="owner@dangol.kr"),
            giver=users[min(users)],
        )
        _say(stdout, _("상품권과 정산 내역"))
        seed_campaigns(
            market=market, featured=featured,
            customer=User.objects.get(phone=mobile_normalize(DEMO_CUSTOMER_PHONE)),
            owner=User.objects.get(email="owner@dangol.kr"),
        )
        _say(stdout, _("수신 동의, 메시지 충전금과 첫 메시지"))
        seed_programs(
            market=market, stores=list(stores.values()), featured=featured,
            owner=User.objects.get(email="owner@dangol.kr"),
            operator=User.objects.get(email="operator@dangol.kr"),
            platform=_organisation(*PLATFORM_ORGANISATION),
        )
        _say(stdout, _("해운대구 상생 사업, 신청과 상생 약속"))
    after = _counts()
    report = SeedReport(
        created={name: after[name] - before[name] for name in after},
        totals=after,
        seconds=time.perf_counter() - started,
        market_id=market.pk,
        featured_store_id=featured.pk,
    )
    _say(stdout, _("단골 %(count)d건") % {"count": Follow.objects.filter(
        source=Follow.Source.DEMO).count()})
    return report
