"""Funds, programs, applications, auto-approval, grants and budget figures (issue 6)."""

import datetime as dt

import pytest

from dangol.core import clock
from dangol.ledger.models import Account, Transaction
from dangol.ledger.selectors import ledger_verify
from dangol.ledger.services import account_get_or_create, ledger_transfer
from dangol.messaging.credit import message_credit_account
from dangol.programs import selectors, services
from dangol.programs.errors import (
    ApplicationDecided,
    BudgetExhausted,
    FundExists,
    FundShort,
    InvalidProgram,
    NotProgramOperator,
    NotStoreOwner,
    ProgramNotOpen,
    ProgramStatusInvalid,
)
from dangol.programs.models import Application, Benefit, Enrolment, Fund, Grant, Program
from dangol.programs.rollout import enrolment_advance
from dangol.settlement.models import StoreSettlementAccount
from dangol.settlement.services import settlement_policy_create, store_settlement_account_set
from tests.factories import OrganisationFactory, SigunguFactory, StaffUserFactory
from tests.programs.conftest import MESSAGE_CREDIT

pytestmark = pytest.mark.django_db

CREDIT_ONLY = [{"kind": Benefit.Kind.MESSAGE_CREDIT, "amount": MESSAGE_CREDIT}]


def _balance(account: Account) -> int:
    account.refresh_from_db(fields=["balance"])
    return account.balance


@pytest.fixture
def merchant(haeundae, market_in, store_in, owner_of):
    """A store in a 해운대구 market and its owner."""
    store = store_in(market_in(haeundae))
    return store, owner_of(store)


# --- funds and programs ---------------------------------------------------------------------


def test_fund_create_moves_the_total_from_the_organisation_and_is_idempotent(operator_org):
    fund = services.fund_create(
        name="분수펀드", organisation=operator_org, total=50_000_000, idempotency_key="f1"
    )
    again = services.fund_create(
        name="분수펀드", organisation=operator_org, total=50_000_000, idempotency_key="f1"
    )

    assert again.pk == fund.pk
    assert _balance(services.fund_account(fund=fund)) == 50_000_000
    external = services.organisation_external_account(organisation=operator_org)
    assert _balance(external) == -50_000_000
    assert Transaction.objects.filter(idempotency_key="programs:fund:f1").count() == 1
    with pytest.raises(FundExists):
        services.fund_create(
            name="분수펀드", organisation=operator_org, total=1_000, idempotency_key="f2"
        )


def test_program_create_draws_its_budget_from_the_fund_with_default_benefits(
    operator_org, operator_user, haeundae
):
    fund = services.fund_create(
        name="분수펀드", organisation=operator_org, total=10_000_000, idempotency_key="f"
    )
    today = clock.today_kst()
    program = services.program_create(
        name="해운대 2025", operator=operator_org, starts_on=today, ends_on=today,
        budget=6_000_000, fund=fund, regions=[haeundae], created_by=operator_user,
    )

    assert program.status == Program.Status.DRAFT
    assert _balance(services.fund_account(fund=fund)) == 4_000_000
    assert _balance(services.program_budget_account(program=program)) == 6_000_000
    benefits = program.benefits.order_by("id")
    assert list(benefits.values_list("kind", "amount", "cycles_per_month")) == [
        ("message_credit", 300_000, None),
        ("market_channel_credit", 3_000_000, None),
        ("settlement_upgrade", 0, 10),
        ("fast_settlement", 0, None),
    ]
    assert list(program.regions.all()) == [haeundae]


def test_program_create_is_refused_when_the_fund_lacks_the_budget(operator_org, haeundae):
    fund = services.fund_create(
        name="작은 기금", organisation=operator_org, total=1_000_000, idempotency_key="f"
    )
    today = clock.today_kst()
    with pytest.raises(FundShort) as refused:
        services.program_create(
            name="너무 큰 사업", operator=operator_org, starts_on=today, ends_on=today,
            budget=1_000_001, fund=fund, regions=[haeundae],
        )

    assert "1,000,000" in refused.value.message
    assert not Program.objects.exists()
    assert not Benefit.objects.exists()
    assert _balance(services.fund_account(fund=fund)) == 1_000_000


def test_program_without_fund_is_funded_by_the_operator_and_markets_are_enrolled(
    operator_org, haeundae, market_in
):
    market = market_in(haeundae)
    today = clock.today_kst()
    program = services.program_create(
        name="구비 사업", operator=operator_org, starts_on=today, ends_on=today,
        budget=900_000, markets=[market], benefits=CREDIT_ONLY,
    )

    external = services.organisation_external_account(organisation=operator_org)
    assert _balance(external) == -900_000
    assert list(Enrolment.objects.filter(program=program).values_list("market_id", "status")) == [
        (market.pk, "invited")
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("budget", 0), ("ends_on", dt.date(2000, 1, 1)), ("benefits", [{"kind": "nope"}]),
     ("benefits", [{"kind": "settlement_upgrade", "cycles_per_month": 7}]),
     ("applicant_cap", 0)],
)
def test_program_create_refuses_malformed_programs(operator_org, field, value):
    arguments = {
        "name": "사업", "operator": operator_org, "starts_on": dt.date(2026, 1, 1),
        "ends_on": dt.date(2026, 12, 31), "budget": 1_000, field: value,
    }
    with pytest.raises(InvalidProgram):
        services.program_create(**arguments)
    assert not Program.objects.exists()


def test_program_open_and_close(program):
    opened = program()
    assert opened.status == Program.Status.OPEN
    closed = services.program_close(program=opened)
    assert closed.status == Program.Status.CLOSED
    with pytest.raises(ProgramStatusInvalid):
        services.program_open(program=closed)


# --- applications and grants ----------------------------------------------------------------


def test_eligible_application_is_approved_and_granted_at_once(program, merchant):
    store, owner = merchant
    policy = settlement_policy_create(name="월 4회", cycles_per_month=4, fee_bp=10)
    store_settlement_account_set(
        store=store, policy=policy, bank_name="부산은행", account_number="101-2020-3030",
        fast_settlement_eligible=False, fast_fee_bp=50,
    )
    prog = program()

    application = services.application_submit(
        program=prog, store=store, applicant=owner, declared_annual_sales=300_000_000
    )

    assert application.status == Application.Status.APPROVED
    assert application.reasons == []
    assert application.decided_at is not None
    assert application.brn == store.brn
    assert _balance(message_credit_account(store=store)) == 300_000
    assert list(application.grants.order_by("id").values_list("benefit__kind", "amount")) == [
        ("message_credit", 300_000), ("settlement_upgrade", 0), ("fast_settlement", 0),
    ]
    account = StoreSettlementAccount.objects.select_related("policy").get(store=store)
    assert account.policy.cycles_per_month == 10
    assert (account.fast_settlement_eligible, account.fast_fee_bp) == (True, 0)
    assert (account.bank_name, account.account_number) == ("부산은행", "101-2020-3030")
    figures = selectors.program_figures(program=prog)
    assert figures == selectors.ProgramFigures(
        budget=3_000_000, committed=300_000, spent=0, remaining=2_700_000, grants=3,
        enrolled_markets=0,
    )
    assert ledger_verify().ok


def test_a_second_application_of_the_store_returns_the_first(program, merchant):
    store, owner = merchant
    prog = program()
    first = services.application_submit(
        program=prog, store=store, applicant=owner, declared_annual_sales=1
    )
    second = services.application_submit(
        program=prog, store=store, applicant=owner, declared_annual_sales=2
    )

    assert second.pk == first.pk
    assert Grant.objects.count() == 3
    assert _balance(message_credit_account(store=store)) == 300_000


def test_store_without_settlement_account_gets_the_grant_with_a_note(program, merchant):
    store, owner = merchant
    application = services.application_submit(
        program=program(), store=store, applicant=owner, declared_annual_sales=1
    )

    assert application.status == Application.Status.APPROVED
    assert application.reasons == [
        {"code": "settlement_account_missing", "benefit": "settlement_upgrade"},
        {"code": "settlement_account_missing", "benefit": "fast_settlement"},
    ]
    assert not StoreSettlementAccount.objects.filter(store=store).exists()


def test_ineligible_applications_wait_for_review_with_their_reasons(
    program, haeundae, market_in, store_in, owner_of
):
    prog = program(max_annual_sales=1_000_000_000)
    elsewhere = SigunguFactory(code="26290", name="남구", full_name="부산광역시 남구")
    bad_brn = store_in(market_in(haeundae), brn="123-45-67890")
    outside = store_in(market_in(elsewhere))
    rich = store_in(market_in(haeundae))

    results = [
        services.application_submit(
            program=prog, store=store, applicant=owner_of(store), declared_annual_sales=sales
        )
        for store, sales in [(bad_brn, 1), (outside, 1), (rich, 1_000_000_001)]
    ]

    assert [a.status for a in results] == ["review"] * 3
    assert [a.reasons for a in results] == [
        [{"code": "invalid_brn", "brn": "123-45-67890"}],
        [{"code": "out_of_scope", "region": "26290"}],
        [{"code": "sales_above_limit", "declared": 1_000_000_001, "limit": 1_000_000_000}],
    ]
    assert not Grant.objects.exists()
    assert selectors.application_reasons(application=results[2]) == [
        "신고한 연 매출 ₩1,000,000,001이(가) 상한 ₩1,000,000,000을(를) 넘습니다."
    ]
    queue = selectors.applications_queue(program=prog)
    assert [a.pk for a in queue] == [a.pk for a in results]


def test_store_of_an_enrolled_market_outside_the_regions_is_in_scope(
    program, market_in, store_in, owner_of
):
    elsewhere = SigunguFactory(code="26290", name="남구", full_name="부산광역시 남구")
    market = market_in(elsewhere)
    store = store_in(market)
    prog = program(markets=[market])

    application = services.application_submit(
        program=prog, store=store, applicant=owner_of(store), declared_annual_sales=1
    )
    assert application.status == Application.Status.APPROVED


def test_applicant_cap_counts_approved_applications(program, haeundae, market_in, store_in,
                                                     owner_of):
    prog = program(applicant_cap=1)
    market = market_in(haeundae)
    first, second = store_in(market), store_in(market)

    a1 = services.application_submit(program=prog, store=first, applicant=owner_of(first),
                                     declared_annual_sales=1)
    a2 = services.application_submit(program=prog, store=second, applicant=owner_of(second),
                                     declared_annual_sales=1)

    assert (a1.status, a2.status) == ("approved", "review")
    assert a2.reasons == [{"code": "applicant_cap_reached", "cap": 1}]


def test_only_the_owner_may_apply_and_only_while_the_program_is_open(
    program, merchant, frozen_clock
):
    frozen_clock(clock.now())  # "tomorrow" must stay tomorrow if KST midnight passes
    store, owner = merchant
    prog = program()
    with pytest.raises(NotStoreOwner):
        services.application_submit(program=prog, store=store, applicant=StaffUserFactory(),
                                    declared_annual_sales=1)
    services.program_close(program=prog)
    with pytest.raises(ProgramNotOpen):
        services.application_submit(program=prog, store=store, applicant=owner,
                                    declared_annual_sales=1)
    later = program(starts_on=clock.today_kst() + dt.timedelta(days=1))
    with pytest.raises(ProgramNotOpen):
        services.application_submit(program=later, store=store, applicant=owner,
                                    declared_annual_sales=1)
    assert not Application.objects.exists()


def test_budget_exhausted_leaves_the_application_in_review_with_nothing_granted(
    program, haeundae, market_in, store_in, owner_of
):
    prog = program(budget=500_000)
    market = market_in(haeundae)
    policy = settlement_policy_create(name="월 4회", cycles_per_month=4)
    first, second = store_in(market), store_in(market)
    store_settlement_account_set(store=second, policy=policy, bank_name="부산은행",
                                 account_number="1")

    a1 = services.application_submit(program=prog, store=first, applicant=owner_of(first),
                                     declared_annual_sales=1)
    a2 = services.application_submit(program=prog, store=second, applicant=owner_of(second),
                                     declared_annual_sales=1)

    assert a1.status == "approved"
    assert a2.status == "review"
    assert a2.reasons == [
        {"code": "budget_exhausted", "remaining": "₩200,000", "amount": "₩300,000"}
    ]
    assert not a2.grants.exists()
    assert _balance(message_credit_account(store=second)) == 0
    account = StoreSettlementAccount.objects.select_related("policy").get(store=second)
    assert (account.policy.cycles_per_month, account.fast_settlement_eligible) == (4, False)
    assert _balance(services.program_budget_account(program=prog)) == 200_000
    assert ledger_verify().ok


def test_operator_approves_from_the_queue_and_budget_is_never_overspent(
    program, operator_user, haeundae, market_in, store_in, owner_of
):
    prog = program(budget=300_000, max_annual_sales=100)
    market = market_in(haeundae)
    first, second = store_in(market), store_in(market)
    a1 = services.application_submit(program=prog, store=first, applicant=owner_of(first),
                                     declared_annual_sales=101)
    a2 = services.application_submit(program=prog, store=second, applicant=owner_of(second),
                                     declared_annual_sales=101)

    with pytest.raises(NotProgramOperator):
        services.application_approve(application=a1, operator_user=StaffUserFactory())
    approved = services.application_approve(application=a1, operator_user=operator_user,
                                            reason="매출 증빙 확인")
    assert approved.status == "approved"
    assert approved.decided_by == operator_user
    assert _balance(message_credit_account(store=first)) == 300_000
    with pytest.raises(BudgetExhausted):
        services.application_approve(application=a2, operator_user=operator_user)

    a2.refresh_from_db()
    assert a2.status == "review"
    assert a2.decided_by is None
    assert not a2.grants.exists()
    assert _balance(services.program_budget_account(program=prog)) == 0


def test_operator_rejects_and_a_decided_application_stays_decided(
    program, operator_user, merchant
):
    store, owner = merchant
    prog = program(max_annual_sales=0)
    application = services.application_submit(program=prog, store=store, applicant=owner,
                                              declared_annual_sales=5)

    rejected = services.application_reject(application=application, operator_user=operator_user,
                                           reason="매출 초과")

    assert rejected.status == "rejected"
    assert rejected.reasons[-1] == {"code": "rejected", "note": "매출 초과"}
    with pytest.raises(ApplicationDecided):
        services.application_approve(application=rejected, operator_user=operator_user)
    assert not Grant.objects.exists()


def test_grants_make_is_idempotent(program, merchant):
    store, owner = merchant
    application = services.application_submit(program=program(), store=store, applicant=owner,
                                              declared_annual_sales=1)
    transactions = Transaction.objects.count()

    grants = services.grants_make(application=application)

    assert len(grants) == 3
    assert Grant.objects.count() == 3
    assert Transaction.objects.count() == transactions


def test_market_channel_credit_comes_with_the_markets_activation_once(program, haeundae, market_in,
                                                                     store_in, owner_of):
    prog = program(budget=10_000_000, benefits=[
        {"kind": "message_credit", "amount": 300_000},
        {"kind": "market_channel_credit", "amount": 3_000_000},
    ])
    market = market_in(haeundae)
    stores = [store_in(market), store_in(market)]
    for store in stores:
        services.application_submit(program=prog, store=store, applicant=owner_of(store),
                                    declared_annual_sales=1)
    # Merchants' applications grant their own credit only.
    assert not Grant.objects.filter(benefit__kind="market_channel_credit").exists()
    assert selectors.program_figures(program=prog).committed == 600_000

    enrolment = region_enrol_one(prog, market)
    enrolment_advance(enrolment=enrolment, to="onboarding")
    assert not Grant.objects.filter(market=market).exists()
    enrolment_advance(enrolment=enrolment, to="active")
    enrolment_advance(enrolment=enrolment, to="active")  # again: nothing more

    assert _balance(message_credit_account(market=market)) == 3_000_000
    grant = Grant.objects.get(benefit__kind="market_channel_credit")
    assert (grant.market, grant.store, grant.application, grant.amount) == (
        market, None, None, 3_000_000)
    assert services.market_channel_grant(program=prog, market=market) == grant
    figures = selectors.program_figures(program=prog)
    assert (figures.committed, figures.remaining) == (3_600_000, 6_400_000)
    assert ledger_verify().ok


def test_market_activation_is_refused_when_the_budget_cannot_pay_the_channel_credit(
    program, haeundae, market_in
):
    prog = program(budget=1_000_000, benefits=[
        {"kind": "market_channel_credit", "amount": 3_000_000},
    ])
    market = market_in(haeundae)
    enrolment = region_enrol_one(prog, market)

    with pytest.raises(BudgetExhausted):
        enrolment_advance(enrolment=enrolment, to="active")
    enrolment.refresh_from_db()
    assert enrolment.status == "invited"
    assert not Grant.objects.exists()


def region_enrol_one(prog, market):
    from dangol.programs.models import Enrolment

    return Enrolment.objects.get_or_create(program=prog, market=market)[0]


def test_spent_is_what_the_grants_were_used_for_capped_at_the_grant(program, merchant):
    store, owner = merchant
    prog = program()
    services.application_submit(program=prog, store=store, applicant=owner,
                                declared_annual_sales=1)
    credit = message_credit_account(store=store)
    usage = account_get_or_create(owner_type="", owner_id=None, kind=Account.Kind.MESSAGE_USAGE,
                                  non_negative=False, name="메시지 발송 비용")
    ledger_transfer(idempotency_key="t-send-1", kind="message_send", source=credit,
                    destination=usage, amount=12_340)
    assert selectors.program_figures(program=prog).spent == 12_340

    ledger_transfer(idempotency_key="t-send-2", kind="message_send", source=credit,
                    destination=usage, amount=287_660)
    assert selectors.program_figures(program=prog).spent == 300_000


def test_programs_for_operator_auditor_and_stranger(program, operator_user, auditor_user):
    own = program()
    other_org = OrganisationFactory(name="카카오", kind="platform")
    other = program(operator=other_org)

    assert list(selectors.programs_for(user=operator_user)) == [own]
    assert {p.pk for p in selectors.programs_for(user=auditor_user)} == {own.pk, other.pk}
    assert list(selectors.programs_for(user=StaffUserFactory())) == []


def test_program_figures_and_queue_take_a_fixed_number_of_queries(
    program, haeundae, market_in, store_in, owner_of, django_assert_num_queries
):
    prog = program(budget=3_000_000, max_annual_sales=10)
    market = market_in(haeundae)
    for sales in (1, 1, 11, 11):
        store = store_in(market)
        services.application_submit(program=prog, store=store, applicant=owner_of(store),
                                    declared_annual_sales=sales)

    with django_assert_num_queries(4):
        figures = selectors.program_figures(program=prog)
    assert (figures.committed, figures.grants) == (600_000, 6)
    with django_assert_num_queries(1):
        queue = list(selectors.applications_queue(program=prog))
        names = [a.store.market.name for a in queue] + [a.applicant.name for a in queue]
    assert len(queue) == 2 and len(names) == 4


def test_fund_funded_program_end_to_end_keeps_the_ledger_balanced(
    operator_org, haeundae, market_in, store_in, owner_of, frozen_clock
):
    frozen_clock(clock.now())  # a program running "today" must not close at KST midnight
    fund = services.fund_create(name="분수펀드", organisation=operator_org, total=900_000,
                                idempotency_key="fund")
    today = clock.today_kst()
    prog = services.program_open(program=services.program_create(
        name="기금 사업", operator=operator_org, starts_on=today, ends_on=today,
        budget=900_000, fund=fund, regions=[haeundae], benefits=CREDIT_ONLY,
    ))
    market = market_in(haeundae)
    statuses = []
    for _ in range(4):
        store = store_in(market)
        statuses.append(services.application_submit(
            program=prog, store=store, applicant=owner_of(store), declared_annual_sales=1
        ).status)

    assert statuses == ["approved", "approved", "approved", "review"]
    assert _balance(services.fund_account(fund=fund)) == 0
    assert selectors.program_figures(program=prog).remaining == 0
    assert Fund.objects.count() == 1
    assert ledger_verify().ok


def test_programs_figures_for_many_programs_take_four_queries(
    program, haeundae, market_in, store_in, owner_of, django_assert_num_queries
):
    market = market_in(haeundae)
    made = [program(budget=budget) for budget in (300_000, 600_000, 900_000)]
    for prog in made[1:]:
        store = store_in(market)
        services.application_submit(program=prog, store=store, applicant=owner_of(store),
                                    declared_annual_sales=1)

    with django_assert_num_queries(4):
        figures = selectors.programs_figures(programs=made)

    assert [(f.committed, f.remaining, f.grants) for f in figures.values()] == [
        (0, 300_000, 0), (300_000, 300_000, 3), (300_000, 600_000, 3)
    ]
