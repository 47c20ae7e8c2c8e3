"""The demo: Busan 해운대구 with 반송큰시장 as its main market (DESIGN.md §4).

`demo_seed()` creates regions, the market, about 60 stores with products and posts, about
500 customers who follow them, and one account for each role. Everything is generated from
a fixed random seed and keyed on a natural key (region code, the market's source key, a
store's BRN, a user's phone or e-mail). A finished seed is recorded (DemoSeed); a later start
finds the record and writes nothing, so people who joined the demo since are never touched.
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
from dangol.demo.data import (
    ACCOUNTS,
    AUDITOR_ORGANISATION,
    BRN_OFFICE_CODES,
    DEMO_CUSTOMER_NAME,
    DEMO_CUSTOMER_PHONE,
    DEMO_PASSWORD,
    FEATURED_PRODUCTS,
    FEATURED_STORE,
    HOURS,
    MARKET_FACTS,
    MARKET_LATITUDE,
    MARKET_LONGITUDE,
    MARKET_NAME,
    MARKET_REGION_CODE,
    MARKET_ROAD_ADDRESS,
    OPERATOR_ORGANISATION,
    PLATFORM_ORGANISATION,
    POSTS,
    PRODUCTS,
    STORE_NAMES,
)
from dangol.demo.models import DemoSeed
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
CUSTOMER_COUNT = 500
FOLLOW_WINDOW_DAYS = 90
# The key of the record that this seed ran (DemoSeed).
SEED_KEY = "반송큰시장"

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
        note=_("개발용 발신함(/dev/outbox/)에 표시되는 일회용 인증번호로 로그인"),
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


def _senders_joined(*, market: Market, stores: list[Store]) -> None:
    """Date the demo market and stores as having joined before the follow window: customers
    follow them (and consent on paper) up to FOLLOW_WINDOW_DAYS ago, and consent evidence
    dated before its sender joined is refused (regulars.services.consent_date_check)."""
    joined = clock.now() - dt.timedelta(days=FOLLOW_WINDOW_DAYS + 1)
    Market.objects.filter(pk=market.pk, created_at__gt=joined).update(created_at=joined)
    Store.objects.filter(pk__in=[store.pk for store in stores], created_at__gt=joined).update(
        created_at=joined
    )
    market.refresh_from_db(fields=["created_at"])
    for store in stores:
        store.refresh_from_db(fields=["created_at"])


def _seed_customers(specs: list[CustomerSpec]) -> tuple[dict[str, User], list[User]]:
    """Insert the customers that are missing (by phone) in bulk; return all by phone, and
    those this call created (the demo's own people; a phone already taken is someone else).

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
    return users, [users[phone] for phone in joined_at]


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


def _report_of_earlier_seed(started: float) -> SeedReport:
    market = Market.objects.filter(
        source_key=market_source_key(region_code=MARKET_REGION_CODE, name=MARKET_NAME)
    ).first()
    featured = Store.objects.filter(market=market, name=FEATURED_STORE).first()
    totals = _counts()
    return SeedReport(
        created=dict.fromkeys(totals, 0), totals=totals,
        seconds=time.perf_counter() - started,
        market_id=market.pk if market else None,
        featured_store_id=featured.pk if featured else None,
    )


def demo_seed(*, stdout: Writer | None = None) -> SeedReport:
    """Seed the 반송큰시장 demo once, in one transaction, and record that it ran.

    Return what was created. A later run finds the record and writes nothing: not even the
    idempotent steps run again, since people who joined since must not be touched. Progress
    goes to `stdout`.
    """
    started = time.perf_counter()
    rng = random.Random(RANDOM_SEED)  # noqa: S311 -- demo data, not secrets
    before = _counts()
    with transaction.atomic():
        # Taken first, so two starts at once cannot both seed (the second waits, then finds it).
        marker, created = DemoSeed.objects.select_for_update().get_or_create(key=SEED_KEY)
        if not created:
            _say(stdout, _("데모 데이터는 %(date)s에 이미 만들었습니다.") % {
                "date": marker.created_at.astimezone(clock.KST).strftime("%Y-%m-%d %H:%M")})
            return _report_of_earlier_seed(started)
        region = _seed_regions()
        market = _seed_market(region)
        _say(stdout, _("시장: %(name)s") % {"name": market.name})
        store_list = store_specs(rng)
        stores = _seed_stores(market, store_list)
        _senders_joined(market=market, stores=list(stores.values()))
        _say(stdout, _("가게 %(count)d곳") % {"count": len(stores)})
        customers = customer_specs(rng, store_list)
        users, demo_people = _seed_customers(customers)
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
            demo_people=demo_people,
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
