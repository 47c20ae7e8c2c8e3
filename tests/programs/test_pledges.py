"""Pledges: create, report with evidence, computed progress, the auditor's overview."""

import datetime as dt
from types import SimpleNamespace

import pytest

from dangol.accounts.models import User
from dangol.core import clock
from dangol.ledger.models import Account
from dangol.ledger.services import account_get_or_create, ledger_transfer
from dangol.programs.errors import PledgeInvalid, PledgeNotReported
from dangol.programs.models import Application, Benefit, Enrolment, Grant, Pledge, Program
from dangol.programs.pledges import pledge_create, pledge_progress, pledge_report, pledges_overview
from dangol.settlement.models import Payout, SettlementRun
from dangol.settlement.services import settlement_policy_create, store_settlement_account_set
from tests.factories import MarketFactory, OrganisationFactory, StaffUserFactory, StoreFactory

pytestmark = pytest.mark.django_db

DEADLINE = dt.date(2026, 12, 31)
M = Pledge.Metric


def _program(name, operator, fund=None):
    program = Program.objects.create(
        name=name, operator=operator, fund=fund, starts_on=dt.date(2026, 11, 1),
        ends_on=dt.date(2027, 10, 31), budget=0, status=Program.Status.OPEN,
    )
    Benefit.objects.create(program=program, kind=Benefit.Kind.MESSAGE_CREDIT, amount=300_000)
    Benefit.objects.create(
        program=program, kind=Benefit.Kind.SETTLEMENT_UPGRADE, cycles_per_month=10
    )
    Benefit.objects.create(program=program, kind=Benefit.Kind.FAST_SETTLEMENT)
    return program


def _applicant():
    user = User.objects.filter(email="applicant@example.kr").first()
    return user or StaffUserFactory(email="applicant@example.kr")


def _grant(program, kind, store, amount=0):
    application, _created = Application.objects.get_or_create(
        program=program, store=store,
        defaults={
            "applicant": _applicant(), "declared_annual_sales": 100_000_000,
            "brn": store.brn, "status": Application.Status.APPROVED,
        },
    )
    return Grant.objects.create(
        application=application, benefit=program.benefits.get(kind=kind), store=store,
        amount=amount,
    )


@pytest.fixture
def world():
    """카카오 runs programs A and B, 네이버 runs C; markets m1–m4, stores s1–s5."""
    kakao = OrganisationFactory(name="카카오", kind="platform")
    naver = OrganisationFactory(name="네이버", kind="platform")
    a, b, c = _program("A 사업", kakao), _program("B 사업", kakao), _program("C 사업", naver)
    markets = MarketFactory.create_batch(4)
    stores = [StoreFactory(market=markets[n % 4]) for n in range(5)]
    return SimpleNamespace(kakao=kakao, naver=naver, a=a, b=b, c=c, m=markets, s=stores)


def _enrol(program, market, status):
    Enrolment.objects.create(program=program, market=market, status=status)


def _pledge(org, metric, target, program=None):
    return pledge_create(
        organisation=org, text=f"{metric} {target}", metric=metric, target=target,
        deadline=DEADLINE, program=program,
    )


# --- create and report ----------------------------------------------------------------------


def test_pledge_create_records_the_commitment(world):
    pledge = pledge_create(
        organisation=world.kakao, text="  신청한 모든 소상공인에게 메시지 충전금 30만 원  ",
        metric="merchants_credited", target=1000, deadline=DEADLINE, program=world.a,
    )
    pledge.refresh_from_db()
    assert (pledge.organisation, pledge.program, pledge.text, pledge.metric, pledge.target,
            pledge.deadline, pledge.reported_value) == (
        world.kakao, world.a, "신청한 모든 소상공인에게 메시지 충전금 30만 원",
        "merchants_credited", 1000, DEADLINE, None,
    )


@pytest.mark.parametrize(
    ("text", "metric", "target"),
    [("", "reported", 1), ("   ", "reported", 1), ("약속", "sales", 1), ("약속", "reported", 0),
     ("약속", "reported", -5), ("약속", "reported", True), ("약속", "reported", 1.5)],
)
def test_pledge_create_refuses_bad_input(world, text, metric, target):
    with pytest.raises(PledgeInvalid):
        pledge_create(organisation=world.kakao, text=text, metric=metric, target=target,
                      deadline=DEADLINE)
    assert Pledge.objects.count() == 0


def test_pledge_about_a_program_must_be_the_organisations(world):
    from dangol.programs.models import Fund

    with pytest.raises(PledgeInvalid) as refused:
        _pledge(world.kakao, M.MARKETS_SUPPORTED, 10, program=world.c)
    assert "운영하거나 출연한" in refused.value.message
    funded = _program("D 사업", world.naver, fund=Fund.objects.create(
        name="분수펀드", organisation=world.kakao, total=1_000_000_000))
    assert _pledge(world.kakao, M.MARKETS_SUPPORTED, 10, program=funded).program == funded


def test_pledge_report_needs_evidence_and_a_reported_metric(world, frozen_clock):
    pledge = _pledge(world.naver, M.REPORTED, 100)
    assert (pledge_progress(pledge=pledge).value, pledge_progress(pledge=pledge).percent) == (
        None, 0
    )
    for evidence in ("", "   "):
        with pytest.raises(PledgeInvalid):
            pledge_report(pledge=pledge, value=40, evidence=evidence)
    with pytest.raises(PledgeInvalid):
        pledge_report(pledge=pledge, value=-1, evidence="보도자료")
    at = clock.kst(2026, 11, 20, 15)
    frozen_clock(at)
    pledge_report(pledge=pledge, value=40, evidence="  교육 수료자 명단 (첨부)  ")
    pledge.refresh_from_db()
    assert (pledge.reported_value, pledge.evidence, pledge.reported_at) == (
        40, "교육 수료자 명단 (첨부)", at
    )
    progress = pledge_progress(pledge=pledge)
    assert (progress.value, progress.percent, progress.reached, progress.computed) == (
        40, 40, False, False
    )
    pledge_report(pledge=pledge, value=100, evidence="최종 보고서")
    progress = pledge_progress(pledge=pledge)
    assert (progress.value, progress.percent, progress.reached) == (100, 100, True)

    computed = _pledge(world.naver, M.MARKETS_SUPPORTED, 10)
    with pytest.raises(PledgeNotReported):
        pledge_report(pledge=computed, value=10, evidence="보고서")
    computed.refresh_from_db()
    assert computed.reported_value is None


# --- computed metrics -----------------------------------------------------------------------


def test_markets_supported_counts_distinct_active_markets(world, django_assert_num_queries):
    m1, m2, m3, m4 = world.m
    _enrol(world.a, m1, "active")
    _enrol(world.a, m2, "active")
    _enrol(world.a, m3, "onboarding")
    _enrol(world.b, m2, "active")  # the same market in two of kakao's programs: once
    _enrol(world.b, m4, "invited")
    _enrol(world.c, m3, "active")  # naver's
    org_pledge = _pledge(world.kakao, M.MARKETS_SUPPORTED, 4)
    a_pledge = _pledge(world.kakao, M.MARKETS_SUPPORTED, 2, program=world.a)
    naver_pledge = _pledge(world.naver, M.MARKETS_SUPPORTED, 3)

    with django_assert_num_queries(1):
        progress = pledge_progress(pledge=org_pledge)
    assert (progress.value, progress.percent, progress.reached, progress.computed) == (
        2, 50, False, True
    )
    a = pledge_progress(pledge=a_pledge)
    assert (a.value, a.percent, a.reached) == (2, 100, True)  # exactly the target
    assert pledge_progress(pledge=naver_pledge).value == 1

    Enrolment.objects.filter(program=world.b, market=m4).update(status="active")
    Enrolment.objects.filter(program=world.a, market=m3).update(status="active")
    progress = pledge_progress(pledge=org_pledge)
    assert (progress.value, progress.percent, progress.reached) == (4, 100, True)


def test_merchants_credited_counts_distinct_stores_with_a_credit_grant(world):
    s1, s2, s3, s4, s5 = world.s
    _grant(world.a, Benefit.Kind.MESSAGE_CREDIT, s1, 300_000)
    _grant(world.b, Benefit.Kind.MESSAGE_CREDIT, s1, 300_000)  # same store, two programs
    _grant(world.a, Benefit.Kind.MESSAGE_CREDIT, s2, 300_000)
    _grant(world.a, Benefit.Kind.MESSAGE_CREDIT, s3, 0)  # nothing granted: not counted
    _grant(world.a, Benefit.Kind.SETTLEMENT_UPGRADE, s4)  # not credit
    _grant(world.c, Benefit.Kind.MESSAGE_CREDIT, s5, 300_000)  # naver's
    pledge = _pledge(world.kakao, M.MERCHANTS_CREDITED, 3)
    progress = pledge_progress(pledge=pledge)
    assert (progress.value, progress.percent, progress.reached) == (2, 66, False)
    assert pledge_progress(pledge=_pledge(world.kakao, M.MERCHANTS_CREDITED, 1,
                                          program=world.b)).value == 1
    _grant(world.b, Benefit.Kind.MESSAGE_CREDIT, s4, 300_000)
    progress = pledge_progress(pledge=pledge)
    assert (progress.value, progress.percent, progress.reached) == (3, 100, True)


def _account(store, policy):
    return store_settlement_account_set(
        store=store, policy=policy, bank_name="부산은행", account_number="101-2000-3000-01"
    )


def test_settlement_cycles_is_the_most_cycles_in_use_by_granted_stores(world):
    s1, s2, s3, s4, s5 = world.s
    four = settlement_policy_create(name="월 4회", cycles_per_month=4)
    ten = settlement_policy_create(name="월 10회", cycles_per_month=10)
    pledge = _pledge(world.kakao, M.SETTLEMENT_CYCLES, 10)
    assert pledge_progress(pledge=pledge).value == 0
    _account(s1, four)
    _account(s5, ten)  # on 10 cycles, but not granted by kakao
    _grant(world.a, Benefit.Kind.SETTLEMENT_UPGRADE, s1)
    _grant(world.a, Benefit.Kind.SETTLEMENT_UPGRADE, s2)  # granted, no settlement account yet
    _grant(world.c, Benefit.Kind.SETTLEMENT_UPGRADE, s5)
    progress = pledge_progress(pledge=pledge)
    assert (progress.value, progress.percent, progress.reached) == (4, 40, False)
    _account(s2, ten)
    progress = pledge_progress(pledge=pledge)
    assert (progress.value, progress.percent, progress.reached) == (10, 100, True)


def _payout(run, store, amount=10_000):
    source = account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.EXTERNAL, non_negative=False,
        name="시험 외부",
    )
    clearing = account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.PAYOUT_CLEARING, non_negative=False,
        name="시험 지급 대기",
    )
    txn = ledger_transfer(
        idempotency_key=f"test:payout:{run.pk}:{store.pk}", kind="test_payout", source=source,
        destination=clearing, amount=amount,
    )
    return Payout.objects.create(
        run=run, store=store, amount=amount, fee=0, net=amount, bank_name="부산은행",
        account_number="1", transaction=txn,
    )


def test_fast_payouts_counts_payouts_in_fast_runs_to_granted_stores(world):
    s1, s2, s3, s4, s5 = world.s
    policy = settlement_policy_create(name="월 10회", cycles_per_month=10)
    fast = [
        SettlementRun.objects.create(
            kind="fast", cutoff=clock.kst(2026, 11, day, 18), payout_date=dt.date(2026, 11, day)
        )
        for day in (2, 3)
    ]
    regular = SettlementRun.objects.create(
        kind="regular", policy=policy, cutoff=clock.kst(2026, 11, 3, 23, 59),
        payout_date=dt.date(2026, 11, 4),
    )
    _grant(world.a, Benefit.Kind.FAST_SETTLEMENT, s1)
    _grant(world.b, Benefit.Kind.FAST_SETTLEMENT, s1)  # twice granted: payouts once
    _grant(world.a, Benefit.Kind.FAST_SETTLEMENT, s2)
    _grant(world.a, Benefit.Kind.MESSAGE_CREDIT, s3, 300_000)  # not fast settlement
    _grant(world.c, Benefit.Kind.FAST_SETTLEMENT, s5)
    for run in fast:
        for store in (s1, s2, s3, s5):
            _payout(run, store)
    _payout(regular, s1)  # a regular payout is no fast payout
    pledge = _pledge(world.kakao, M.FAST_PAYOUTS, 4)
    progress = pledge_progress(pledge=pledge)
    assert (progress.value, progress.percent, progress.reached) == (4, 100, True)
    only_b = pledge_progress(pledge=_pledge(world.kakao, M.FAST_PAYOUTS, 5, program=world.b))
    assert (only_b.value, only_b.percent, only_b.reached) == (2, 40, False)
    assert pledge_progress(pledge=_pledge(world.naver, M.FAST_PAYOUTS, 1)).value == 2


def test_overdue_only_when_the_deadline_passed_unreached(world, frozen_clock):
    pledge = _pledge(world.kakao, M.MARKETS_SUPPORTED, 1)
    frozen_clock(clock.kst(2026, 12, 31, 23, 59))
    assert pledge_progress(pledge=pledge).overdue is False
    frozen_clock(clock.kst(2027, 1, 1, 0, 0))
    assert pledge_progress(pledge=pledge).overdue is True
    _enrol(world.a, world.m[0], "active")
    assert pledge_progress(pledge=pledge).overdue is False


# --- the auditor's overview -----------------------------------------------------------------


def _populate(world):
    m1, m2, m3, m4 = world.m
    s1, s2, s3, s4, s5 = world.s
    _enrol(world.a, m1, "active")
    _enrol(world.b, m2, "active")
    _enrol(world.c, m3, "active")
    _grant(world.a, Benefit.Kind.MESSAGE_CREDIT, s1, 300_000)
    _grant(world.c, Benefit.Kind.MESSAGE_CREDIT, s2, 300_000)
    _grant(world.c, Benefit.Kind.MESSAGE_CREDIT, s3, 300_000)
    _account(s1, settlement_policy_create(name="월 10회", cycles_per_month=10))
    _grant(world.a, Benefit.Kind.SETTLEMENT_UPGRADE, s1)


def test_pledges_overview_lists_every_organisations_pledges_with_progress(world):
    _populate(world)
    ministry = OrganisationFactory(name="중소벤처기업부", kind="ministry")  # no pledges: not listed
    _pledge(world.kakao, M.MARKETS_SUPPORTED, 2)
    _pledge(world.kakao, M.MARKETS_SUPPORTED, 1, program=world.b)
    _pledge(world.kakao, M.MERCHANTS_CREDITED, 1)
    _pledge(world.kakao, M.SETTLEMENT_CYCLES, 10)
    _pledge(world.naver, M.MERCHANTS_CREDITED, 4)
    reported = _pledge(world.naver, M.REPORTED, 50)
    pledge_report(pledge=reported, value=25, evidence="디지털 교육 50곳 중 25곳 완료")
    _pledge(world.naver, M.FAST_PAYOUTS, 10)

    overview = pledges_overview()

    assert ministry not in [entry.organisation for entry in overview]
    assert [(entry.organisation.name, entry.reached,
             [(p.pledge.metric, p.pledge.program_id, p.value, p.percent, p.reached)
              for p in entry.pledges]) for entry in overview] == [
        ("네이버", 0, [
            ("merchants_credited", None, 2, 50, False),
            ("reported", None, 25, 50, False),
            ("fast_payouts", None, 0, 0, False),
        ]),
        ("카카오", 4, [
            ("markets_supported", None, 2, 100, True),
            ("markets_supported", world.b.pk, 1, 100, True),
            ("merchants_credited", None, 1, 100, True),
            ("settlement_cycles", None, 10, 100, True),
        ]),
    ]


def test_pledges_overview_runs_in_constant_queries(world, django_assert_max_num_queries):
    _populate(world)
    for metric in M.values:
        _pledge(world.kakao, metric, 1)
        _pledge(world.kakao, metric, 1, program=world.a)
    with django_assert_max_num_queries(9) as few:
        pledges_overview()
    for n in range(30):
        org = OrganisationFactory(name=f"기관 {n:02d}", kind="platform")
        program = _program(f"사업 {n}", org)
        _enrol(program, world.m[n % 4], "active")
        _grant(program, Benefit.Kind.MESSAGE_CREDIT, world.s[n % 5], 300_000)
        for metric in M.values:
            _pledge(org, metric, 1)
            _pledge(org, metric, 1, program=program)
    with django_assert_max_num_queries(9) as many:
        overview = pledges_overview()
    assert len(many.captured_queries) == len(few.captured_queries) == 9
    assert len(overview) == 31  # 카카오 and the 30 new ones (네이버 pledged nothing)
    assert sum(len(entry.pledges) for entry in overview) == 31 * 10
    first = next(entry for entry in overview if entry.organisation.name == "기관 00")
    assert [(p.pledge.metric, p.value) for p in first.pledges if p.pledge.program_id] == [
        ("markets_supported", 1), ("merchants_credited", 1), ("settlement_cycles", 0),
        ("fast_payouts", 0), ("reported", None),
    ]
