"""The demo's co-prosperity program, modelled on the 2025 one: 해운대구 runs "해운대구 전통시장
단골 지원사업" from a fund of its own, every 해운대구 market in the database enrolled (반송큰시장
alone in the default demo, all ten once the national file is imported), ₩300,000 of message
credit per merchant, 10 settlements a month and fast settlement without fee; applications in
every state (approved with grants, waiting for review, rejected) and pledges with progress.

Idempotent by names and fixed keys like the rest of the seed.
"""

import datetime as dt
from typing import Any

from dangol.accounts.models import User
from dangol.core import clock
from dangol.organisations.models import Organisation
from dangol.places.models import Market, Region, Store, StoreMembership
from dangol.places.services import store_member_add
from dangol.programs.models import Application, Benefit, Enrolment, Fund, Pledge, Program
from dangol.programs.pledges import pledge_create, pledge_report
from dangol.programs.rollout import enrolment_advance, region_enrol, rollout_target_set
from dangol.programs.services import (
    application_reject,
    application_submit,
    fund_create,
    program_create,
    program_open,
)

FUND_NAME = "해운대구 상생기금"
FUND_TOTAL = 100_000_000
PROGRAM_NAME = "2025 해운대구 전통시장 단골 지원사업"
PROGRAM_BUDGET = 30_000_000  # ₩300,000 × 100 merchants
BENEFITS: list[dict[str, Any]] = [
    {"kind": Benefit.Kind.MESSAGE_CREDIT, "amount": 300_000},
    {"kind": Benefit.Kind.SETTLEMENT_UPGRADE, "cycles_per_month": 10},
    {"kind": Benefit.Kind.FAST_SETTLEMENT},
]
# (store, applicant e-mail, declared annual sales): the first two qualify, the third declares
# more than ₩1bn and waits for review, the fourth is reviewed and rejected.
APPLICANTS = [
    ("할매반찬", "halmae@dangol.kr", 180_000_000),
    ("반송떡집", "tteok@dangol.kr", 95_000_000),
    ("반송칼국수", "noodle@dangol.kr", 1_200_000_000),
    ("반송정육점", "meat@dangol.kr", 1_500_000_000),
]


def _merchant(email: str, name: str, store: Store) -> User:
    """A merchant of a demo store (no password: data for the program, not a demo login)."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, name=name)
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not StoreMembership.objects.filter(store=store, user=user).exists():
        store_member_add(store=store, user=user, role="owner")
    return user


def _program(*, operator: Organisation, region: Region, created_by: User) -> Program:
    program = Program.objects.filter(name=PROGRAM_NAME).first()
    if program is not None:
        return program
    fund = Fund.objects.filter(name=FUND_NAME).first() or fund_create(
        name=FUND_NAME, organisation=operator, total=FUND_TOTAL, idempotency_key="demo:fund"
    )
    today = clock.today_kst()
    program = program_create(
        name=PROGRAM_NAME, operator=operator, fund=fund, budget=PROGRAM_BUDGET,
        starts_on=dt.date(2025, 3, 14), ends_on=dt.date(today.year + 1, 12, 31),
        regions=[region], benefits=BENEFITS, created_by=created_by,
        description=(
            "해운대구 전통시장 상인에게 메시지 충전금 30만 원, 월 10회 정산, 수수료 없는 "
            "빠른정산을 지원합니다. 2025년 반송큰시장 현장 행사에서 시작한 사업을 본떴습니다."
        ),
    )
    return program_open(program=program)


def seed_programs(
    *, market: Market, stores: list[Store], featured: Store, owner: User, operator: User,
    platform: Organisation,
) -> Program:
    """Seed the 해운대구 program with its roll-out, applications and pledges; return it."""
    organisation = Organisation.objects.get(name="부산광역시 해운대구청")
    region = market.region
    program = _program(operator=organisation, region=region, created_by=operator)
    region_enrol(program=program, region=region)
    rollout_target_set(program=program, markets=10, due_on=dt.date(2026, 12, 31))
    enrolment = Enrolment.objects.get(program=program, market=market)
    if enrolment.status == Enrolment.Status.INVITED:
        enrolment = enrolment_advance(enrolment=enrolment, to=Enrolment.Status.ONBOARDING)
    if enrolment.status == Enrolment.Status.ONBOARDING:
        enrolment_advance(enrolment=enrolment, to=Enrolment.Status.ACTIVE)

    by_name = {store.name: store for store in stores}
    application_submit(program=program, store=featured, applicant=owner,
                       declared_annual_sales=240_000_000)
    for name, email, sales in APPLICANTS:
        store = by_name.get(name)
        if store is None:
            continue
        merchant = _merchant(email, f"{name} 사장님", store)
        application = application_submit(
            program=program, store=store, applicant=merchant, declared_annual_sales=sales
        )
        if name == "반송정육점" and application.status == Application.Status.REVIEW:
            application_reject(
                application=application, operator_user=operator,
                reason="신고 연 매출이 10억 원을 넘습니다 (증빙 확인).",
            )

    if not Pledge.objects.filter(organisation=organisation).exists():
        pledge_create(organisation=organisation, program=program,
                      text="해운대구 전통시장 10곳 모두 단골 채널 운영",
                      metric=Pledge.Metric.MARKETS_SUPPORTED, target=10,
                      deadline=dt.date(2026, 12, 31))
        pledge_create(organisation=organisation, program=program,
                      text="해운대구 상인 100명에게 메시지 충전금 30만 원 지원",
                      metric=Pledge.Metric.MERCHANTS_CREDITED, target=100,
                      deadline=dt.date(2026, 12, 31))
    if not Pledge.objects.filter(organisation=platform).exists():
        pledge_create(organisation=platform, text="상품권 정산 월 4회에서 10회로",
                      metric=Pledge.Metric.SETTLEMENT_CYCLES, target=10,
                      deadline=dt.date(2026, 6, 30))
        pledge_create(organisation=platform, text="영세 상인 빠른정산 (다음 영업일 90%)",
                      metric=Pledge.Metric.FAST_PAYOUTS, target=1_000,
                      deadline=dt.date(2026, 12, 31))
        reported = pledge_create(
            organisation=platform, text="전통시장 디지털 튜터 교육 300회",
            metric=Pledge.Metric.REPORTED, target=300, deadline=dt.date(2026, 12, 31),
        )
        pledge_report(pledge=reported, value=120,
                      evidence="2026년 10월까지 교육 일지 120건 (상인회 확인)")
    return program
