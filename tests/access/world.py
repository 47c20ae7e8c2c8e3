"""The world of the access matrix: two of everything, built through the services.

Market A with store A1 (an owner, a staff member) and market B with store B1 (an owner) and
B2 (closed, no members); an association of each market and a tutor of A; organisation X
(an operator, an auditor) running program PX and organisation Y (an operator) running PY;
a customer who follows A1 and B1 and their market channels with ad consent, holds a coupon
and a (partly used) voucher of each store and an unused voucher of market A, and has an
in-app message of each; a settlement run that paid
A1 and B1; a platform administrator. The clock is frozen at NOW (Thursday 19 November 2026,
10:00 KST), after the cut-off of the 18th; purchases and redemptions happened on Monday.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dangol.access.checks import store_token_scope
from dangol.accounts.models import ApiToken, User
from dangol.accounts.services import api_token_create
from dangol.core import clock
from dangol.coupons import services as coupons
from dangol.coupons import stamps
from dangol.coupons.models import Coupon, CouponTemplate
from dangol.ledger.models import Account
from dangol.ledger.services import account_get_or_create
from dangol.messaging.campaigns import campaign_create, campaign_send
from dangol.messaging.credit import message_credit_grant
from dangol.messaging.models import Campaign, Delivery
from dangol.organisations.models import Organisation
from dangol.payments.providers.sandbox import CARD_APPROVE
from dangol.places.models import Market, Region, Store
from dangol.places.services import product_create
from dangol.programs import hall, pledges, rollout
from dangol.programs import services as programs
from dangol.programs.models import Application, Benefit, Enrolment, HallItem, Pledge, Program
from dangol.regulars import import_jobs
from dangol.regulars import services as regulars
from dangol.regulars.models import Consent, Follow, RegularsImport
from dangol.settlement import services as settlement
from dangol.settlement.models import Payout, SettlementPolicy, SettlementRun
from dangol.vouchers import services as vouchers
from dangol.vouchers.models import Voucher, VoucherProduct
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    MarketMembershipFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    SigunguFactory,
    StoreFactory,
    StoreMembershipFactory,
)

MONDAY = clock.kst(2026, 11, 16, 10, 0)
NOW = clock.kst(2026, 11, 19, 10, 0)
CUSTOMER_PHONE = "+821012345678"
# A merchant who signs in with a password in the matrix (the sign-in form is tried by all).
SIGN_IN_EMAIL, SIGN_IN_PASSWORD = "signin@example.kr", "matrix-sign-in-pw"

# The actors: who sends the matrix's requests (None: not signed in).
ACTORS = (
    "anonymous", "customer", "owner", "staff", "other_owner", "other_association",
    "other_operator", "auditor", "admin",
)
# The API is also called by a POS: a token of A1's owner limited to A1.
API_ACTORS = (*ACTORS, "pos")


@dataclass
class World:
    """What the requests are made about, by name (see the module docstring)."""

    users: dict[str, User] = field(default_factory=dict)
    region: Region | None = None
    markets: dict[str, Market] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)
    imports: dict[str, RegularsImport] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    enrolments: dict[str, Enrolment] = field(default_factory=dict)
    pledges: dict[str, Pledge] = field(default_factory=dict)
    hall_items: dict[str, HallItem] = field(default_factory=dict)
    templates: dict[str, CouponTemplate] = field(default_factory=dict)
    coupons: dict[str, Coupon] = field(default_factory=dict)
    customer_code: str = ""
    products: dict[str, VoucherProduct] = field(default_factory=dict)
    vouchers: dict[str, Voucher] = field(default_factory=dict)
    follows: dict[str, Follow] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    policy: SettlementPolicy | None = None
    run: SettlementRun | None = None
    payouts: dict[str, Payout] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def market_of(self, store_name: str) -> str:
        return store_name[0]


def _user(email: str, name: str, **extra: Any) -> User:
    user = User.objects.create_user(email=email, name=name, **extra)
    user.set_unusable_password()  # force_login in the tests; no password hashing
    user.save(update_fields=["password"])
    return user


def _external() -> Account:
    return account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.EXTERNAL, non_negative=False,
        name="외부 입금",
    )


def _people(world: World) -> None:
    a1, b1 = world.stores["A1"], world.stores["B1"]
    market_a, market_b = world.markets["A"], world.markets["B"]
    users = world.users
    users["customer"] = CustomerFactory(phone=CUSTOMER_PHONE, name="김단골")
    users["owner"] = _user("owner@a1.example.kr", "A1 사장님")
    users["staff"] = _user("staff@a1.example.kr", "A1 직원")
    users["other_owner"] = _user("owner@b1.example.kr", "B1 사장님")
    users["other_association"] = _user("association@b.example.kr", "B 상인회")
    users["other_operator"] = _user("operator@y.example.kr", "Y 운영자")
    users["auditor"] = _user("auditor@x.example.kr", "X 감사자")
    users["admin"] = _user("admin@dangol.kr", "관리자", is_staff=True, is_superuser=True)
    User.objects.create_user(email=SIGN_IN_EMAIL, name="로그인", password=SIGN_IN_PASSWORD)
    StoreMembershipFactory(store=a1, user=users["owner"], role="owner")
    StoreMembershipFactory(store=a1, user=users["staff"], role="staff")
    StoreMembershipFactory(store=b1, user=users["other_owner"], role="owner")
    MarketMembershipFactory(market=market_a, user=_user("association@a.example.kr", "A 상인회"))
    MarketMembershipFactory(market=market_b, user=users["other_association"])
    MarketMembershipFactory(market=market_a, user=_user("tutor@a.example.kr", "A 튜터"),
                            role="tutor")
    x, y = world.organisations["X"], world.organisations["Y"]
    OrganisationMembershipFactory(organisation=x, user=_user("operator@x.example.kr", "X 운영자"))
    OrganisationMembershipFactory(organisation=x, user=users["auditor"], role="auditor")
    OrganisationMembershipFactory(organisation=y, user=users["other_operator"])


def _places(world: World) -> None:
    world.region = SigunguFactory()
    for name in ("A", "B"):
        world.markets[name] = MarketFactory(
            name=f"{name}시장", region=world.region, phone="+82515420000"
        )
    world.stores["A1"] = StoreFactory(name="A1수산", market=world.markets["A"])
    world.stores["B1"] = StoreFactory(name="B1반찬", market=world.markets["B"])
    world.stores["B2"] = StoreFactory(name="B2떡집", market=world.markets["B"], is_active=False)
    for name in ("A1", "B1"):
        product_create(store=world.stores[name], name=f"{name} 대표 상품", price=20_000)
        product_create(store=world.stores[name], name=f"{name} 두 번째 상품", price=10_000)


def _regulars_and_coupons(world: World) -> None:
    customer = world.users["customer"]
    for name in ("A1", "B1"):
        store = world.stores[name]
        world.follows[name] = regulars.follow_join(customer=customer, store=store, ad=True)
        world.consents[name] = Consent.objects.get(customer=customer, store=store)
        world.imports[name] = import_jobs.regulars_import_start(
            store=store, data="이름,휴대전화\n손님,010-3000-0001\n".encode(),
            filename="명부.csv", uploaded_by=None,
        )
        template = coupons.coupon_template_create(
            store=store, name=f"{name} 천원 할인", kind=CouponTemplate.Kind.AMOUNT_OFF,
            amount_off=1_000, valid_from=MONDAY - dt.timedelta(days=1),
            valid_until=MONDAY + dt.timedelta(days=30), per_customer_limit=5,
        )
        world.templates[name] = template
        world.coupons[name] = coupons.coupon_claim(template=template, customer=customer)
        stamps.stamp_program_create(
            store=store, name=f"{name} 스탬프", stamps_required=10, reward=template,
            per_day_limit=50, per_visit_limit=50,
        )
    for name in ("A", "B"):
        regulars.follow_join(customer=customer, market=world.markets[name], ad=True)
    world.customer_code = stamps.customer_code_get_or_create(customer=customer).code


def _vouchers(world: World) -> None:
    customer = world.users["customer"]
    world.products["A"] = vouchers.voucher_product_create(
        name="A시장 상품권 1만원", market=world.markets["A"], face_value=10_000,
        sale_price=10_000,
    )
    # Unused and bought this week: refundable in full.
    world.vouchers["A"] = vouchers.voucher_purchase(
        product=world.products["A"], buyer=customer, card_number=CARD_APPROVE,
        idempotency_key="world-buy-A",
    )
    for name in ("A1", "B1"):
        store = world.stores[name]
        world.products[name] = vouchers.voucher_product_create(
            name=f"{name} 상품권 3만원", store=store, face_value=30_000, sale_price=30_000,
            fee_bp=300,
        )
        voucher = vouchers.voucher_purchase(
            product=world.products[name], buyer=customer, card_number=CARD_APPROVE,
            idempotency_key=f"world-buy-{name}",
        )
        vouchers.voucher_redeem(
            voucher=voucher, store=store, amount=5_000, staff=customer,
            idempotency_key=f"world-redeem-{name}",
        )
        voucher.refresh_from_db()
        world.vouchers[name] = voucher


def _messages(world: World) -> None:
    external = _external()
    senders: dict[str, dict[str, Any]] = {
        "A1": {"store": world.stores["A1"]}, "B1": {"store": world.stores["B1"]},
        "A": {"market": world.markets["A"]}, "B": {"market": world.markets["B"]},
    }
    for name, sender in senders.items():
        message_credit_grant(
            **sender, amount=100_000, from_account=external, idempotency_key=f"world-{name}",
        )
        campaign = campaign_create(
            **sender, kind=Campaign.Kind.AD, body=f"{name}의 이번 주 소식입니다.",
            audience=Campaign.Audience.MARKET if "market" in sender else Campaign.Audience.ALL,
            channels=["in_app"], idempotency_key=f"world-campaign-{name}",
            link_url="https://example.com/sale", link_label="보기",
        )
        world.campaigns[name] = campaign_send(campaign=campaign)
        world.deliveries[name] = Delivery.objects.get(
            campaign=campaign, customer=world.users["customer"]
        )


def _programs(world: World) -> None:
    benefits = [
        {"kind": Benefit.Kind.MESSAGE_CREDIT, "amount": 300_000},
        {"kind": Benefit.Kind.PROMOTION_SUPPORT, "share_bp": 5000, "amount": 1_000_000},
    ]
    operators = {"X": "operator@x.example.kr", "Y": "operator@y.example.kr"}
    for name, store_name in (("X", "A1"), ("Y", "B1")):
        organisation = world.organisations[name]
        program = programs.program_create(
            name=f"P{name} 상생 사업", operator=organisation,
            starts_on=clock.today_kst() - dt.timedelta(days=1),
            ends_on=clock.today_kst() + dt.timedelta(days=90), budget=3_000_000, fund=None,
            regions=(world.region,), markets=(), benefits=benefits,
            created_by=User.objects.get(email=operators[name]),
        )
        program = programs.program_open(program=program)
        world.programs[name] = program
        # Declared sales above the limit: the application waits in the review queue.
        world.applications[name] = programs.application_submit(
            program=program, store=world.stores["A1"], applicant=world.users["owner"],
            declared_annual_sales=2_000_000_000,
        )
        rollout.region_enrol(program=program, region=world.region)
        world.enrolments[name] = Enrolment.objects.get(
            program=program, market=world.markets["A"]
        )
        world.pledges[name] = pledges.pledge_create(
            organisation=organisation, text=f"{name}의 약속", metric=Pledge.Metric.REPORTED,
            target=100, deadline=clock.today_kst() + dt.timedelta(days=60),
        )
        product = world.stores[store_name].products.order_by("position", "id").first()
        world.hall_items[name] = hall.hall_item_add(
            program=program, product=product, discount=2_000, share_bp=5000
        )


def _settlement(world: World) -> None:
    world.policy = settlement.settlement_policy_create(
        name="월 10회", cycles_per_month=10, cutoff_time=dt.time(23, 59), payout_lag_days=1,
        fee_bp=0,
    )
    for name in ("A1", "B1"):
        settlement.store_settlement_account_set(
            store=world.stores[name], policy=world.policy, bank_name="부산은행",
            account_number="101-2020-303030",
        )


def _tokens(world: World) -> None:
    for actor in ACTORS[1:]:
        _token, secret = api_token_create(user=world.users[actor], name="매트릭스")
        world.tokens[actor] = secret
    scope = store_token_scope(user=world.users["owner"], store_id=world.stores["A1"].pk)
    _token, world.tokens["pos"] = api_token_create(
        user=world.users["owner"], name="A1 포스", scope=scope
    )
    assert ApiToken.objects.count() == len(API_ACTORS) - 1  # noqa: S101


def build_world() -> World:
    """Build the world of the module docstring and leave the clock frozen at NOW."""
    world = World()
    clock.freeze(MONDAY)
    _places(world)
    world.organisations = {name: OrganisationFactory(name=f"{name} 기관") for name in "XY"}
    _people(world)
    _settlement(world)
    _regulars_and_coupons(world)
    _vouchers(world)
    _messages(world)
    _programs(world)
    clock.freeze(NOW)
    world.run = settlement.settlement_run(
        policy=world.policy, cutoff=clock.kst(2026, 11, 18, 23, 59)
    )
    world.payouts = {
        name: Payout.objects.get(run=world.run, store=world.stores[name])
        for name in ("A1", "B1")
    }
    _tokens(world)
    return world
