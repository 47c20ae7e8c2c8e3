"""Settlement benefits that end (issue 12 item 3): a fast settlement after a grant pays no
fee; when the program's period ends, or an operator withdraws the grant, the store's
settlement account goes back to its terms before the grant and the next fast settlement
pays the normal fee; unused granted message credit goes back to the budget."""

import datetime as dt

import pytest
from django.urls import reverse

from dangol.audit.models import AuditEntry
from dangol.core import clock
from dangol.core.clock import kst
from dangol.ledger import catalogue
from dangol.ledger.selectors import ledger_verify
from dangol.ledger.services import ledger_transfer
from dangol.messaging.credit import CHARGE_KIND, TOP_UP_KIND, message_credit_account
from dangol.programs import grant_endings, selectors, services, tasks
from dangol.programs.errors import InvalidProgram, NotProgramOperator
from dangol.programs.models import Benefit, Grant
from dangol.settlement import cycles
from dangol.settlement import services as settlement_services
from dangol.settlement.models import Payout, SettlementPolicy, StoreSettlementAccount
from tests.factories import StaffUserFactory
from tests.programs.conftest import DEFAULT_BUDGET, MESSAGE_CREDIT
from tests.settlement.conftest import payable, redeem

pytestmark = pytest.mark.django_db

# 2026-11-30 is a Monday; the program runs to Tuesday 1 December, inclusive.
MONDAY = dt.date(2026, 11, 30)
ENDS_ON = dt.date(2026, 12, 1)
NORMAL_FEE_BP = 100  # 1% for fast settlement outside a program


@pytest.fixture
def four_cycles(db) -> SettlementPolicy:
    return settlement_services.settlement_policy_create(
        name="월 4회", cycles_per_month=4, fee_bp=10
    )


@pytest.fixture
def merchant(haeundae, market_in, store_in, owner_of, four_cycles):
    """A store on 4 cycles a month, eligible for fast settlement at the normal fee, paid
    its whole window (share 100%), and its owner."""
    clock.freeze(kst(2026, 11, 30, 9))
    store = store_in(market_in(haeundae))
    settlement_services.store_settlement_account_set(
        store=store, policy=four_cycles, bank_name="부산은행", account_number="101-2020-3030",
        fast_settlement_eligible=True, fast_share_bp=10_000, fast_fee_bp=NORMAL_FEE_BP,
    )
    payable(store)
    return store, owner_of(store)


@pytest.fixture
def granted(program, merchant):
    """The merchant's approved application to a program ending on ENDS_ON."""
    store, owner = merchant
    prog = program(starts_on=MONDAY - dt.timedelta(days=1), ends_on=ENDS_ON)
    application = services.application_submit(
        program=prog, store=store, applicant=owner, declared_annual_sales=100_000_000
    )
    return prog, application


def _fast_payout(day: dt.date) -> Payout:
    run = settlement_services.fast_settlement_run(cutoff=cycles.fast_cutoff(day))
    return Payout.objects.get(run=run)


def _terms(store) -> tuple[int | None, bool, int]:
    account = StoreSettlementAccount.objects.select_related("policy").get(store=store)
    return account.policy.cycles_per_month, account.fast_settlement_eligible, account.fast_fee_bp


def test_a_fast_settlement_after_the_grant_pays_no_fee(granted, merchant):
    store, _owner = merchant
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="r1")
    clock.freeze(kst(2026, 12, 1, 9))

    payout = _fast_payout(MONDAY)

    assert (payout.amount, payout.fee, payout.net) == (10_000, 0, 10_000)
    assert ledger_verify().ok


def test_when_the_program_ends_the_account_goes_back_and_fast_settlement_pays_the_fee(
    granted, merchant
):
    store, _owner = merchant
    clock.freeze(kst(2026, 12, 1, 23, 50))  # the program's last day: nothing ends yet
    assert tasks.program_benefits_end_due.call_local() == 0
    assert _terms(store) == (10, True, 0)

    clock.freeze(kst(2026, 12, 2, 0, 10))
    ended = tasks.program_benefits_end_due.call_local()
    again = tasks.program_benefits_end_due.call_local()
    redeem(store, 20_000, at=kst(2026, 12, 2, 12), key="r2")
    clock.freeze(kst(2026, 12, 3, 9))
    payout = _fast_payout(dt.date(2026, 12, 2))

    assert (ended, again) == (2, 0)  # the settlement upgrade and fast settlement
    assert _terms(store) == (4, True, NORMAL_FEE_BP)
    assert (payout.amount, payout.fee, payout.net) == (20_000, 200, 19_800)
    assert set(Grant.objects.filter(store=store).values_list("benefit__kind", "status")) == {
        (Benefit.Kind.MESSAGE_CREDIT, Grant.Status.ACTIVE),
        (Benefit.Kind.SETTLEMENT_UPGRADE, Grant.Status.ENDED),
        (Benefit.Kind.FAST_SETTLEMENT, Grant.Status.ENDED),
    }
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.BENEFIT_END)
    assert sorted(entry.details["outcome"] for entry in entries) == ["reverted", "reverted"]
    assert {entry.subject for entry in entries} == {
        f"grant:{pk}" for pk in Grant.objects.filter(
            store=store, status=Grant.Status.ENDED
        ).values_list("pk", flat=True)
    }


def test_closing_a_program_to_applications_does_not_end_its_benefits(granted, merchant):
    store, _owner = merchant
    prog, _application = granted

    services.program_close(program=prog)

    assert _terms(store) == (10, True, 0)


def test_an_account_changed_since_the_grant_keeps_the_owners_terms(granted, merchant):
    store, _owner = merchant
    prog, application = granted
    account = StoreSettlementAccount.objects.get(store=store)
    settlement_services.store_settlement_account_set(  # an operator set a 0.5% fee meanwhile
        store=store, policy=account.policy, bank_name=account.bank_name,
        account_number=account.account_number, fast_settlement_eligible=True,
        fast_share_bp=account.fast_share_bp, fast_fee_bp=50,
    )

    grant_endings.program_benefits_end(program=prog, at=kst(2026, 12, 2, 0, 10))

    assert _terms(store) == (4, True, 50)  # the upgrade reverted, the changed fee kept
    application.refresh_from_db()
    note = {"code": "settlement_changed_since_grant", "benefit": "fast_settlement"}
    assert note in application.reasons
    assert selectors.reason_message(note) == (
        "지원 후 정산 조건이 바뀌어 지원이 끝날 때 되돌리지 않았습니다."
    )
    outcomes = dict(
        AuditEntry.objects.filter(action=AuditEntry.Action.BENEFIT_END)
        .values_list("details__benefit", "details__outcome")
    )
    assert outcomes == {"settlement_upgrade": "reverted", "fast_settlement": "changed_since"}


def test_two_programs_granting_fast_settlement_revert_to_before_the_first(
    program, merchant
):
    store, owner = merchant
    fast_only = [{"kind": Benefit.Kind.FAST_SETTLEMENT}]
    first = program(benefits=fast_only, starts_on=MONDAY, ends_on=ENDS_ON)
    second = program(benefits=fast_only, starts_on=MONDAY, ends_on=dt.date(2026, 12, 31))
    for prog in (first, second):
        services.application_submit(
            program=prog, store=store, applicant=owner, declared_annual_sales=1
        )

    grant_endings.program_benefits_end(program=first, at=kst(2026, 12, 2, 0, 10))
    still = _terms(store)
    grant_endings.program_benefits_end(program=second, at=kst(2027, 1, 1, 0, 10))

    assert still == (4, True, 0)  # the second program still waives the fee
    assert _terms(store) == (4, True, NORMAL_FEE_BP)  # the state before the first grant
    outcomes = list(
        AuditEntry.objects.filter(action=AuditEntry.Action.BENEFIT_END)
        .order_by("id").values_list("details__outcome", flat=True)
    )
    assert outcomes == ["still_granted", "reverted"]


def test_an_operator_withdraws_a_grant_and_the_account_goes_back(
    granted, merchant, operator_user, operator_org
):
    store, _owner = merchant
    _prog, application = granted
    fast = Grant.objects.get(application=application, benefit__kind=Benefit.Kind.FAST_SETTLEMENT)

    withdrawn = grant_endings.grant_withdraw(
        grant=fast, actor=operator_user, reason="허위 신청"
    )
    again = grant_endings.grant_withdraw(grant=fast, actor=operator_user, reason="허위 신청")
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="r1")
    clock.freeze(kst(2026, 12, 1, 9))
    payout = _fast_payout(MONDAY)

    assert (withdrawn.status, again.pk) == (Grant.Status.WITHDRAWN, withdrawn.pk)
    assert withdrawn.ended_by == operator_user and withdrawn.end_reason == "허위 신청"
    assert _terms(store) == (10, True, NORMAL_FEE_BP)  # the upgrade is another grant
    assert (payout.amount, payout.fee, payout.net) == (10_000, 100, 9_900)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.GRANT_WITHDRAW)
    assert (entry.actor, entry.subject, entry.amount, entry.organisation_id) == (
        operator_user, f"grant:{fast.pk}", 0, operator_org.pk,
    )
    assert entry.details["settlement"] == "reverted" and entry.details["reason"] == "허위 신청"


def test_withdrawing_message_credit_returns_what_is_unused_to_the_budget(
    granted, merchant, operator_user
):
    store, _owner = merchant
    prog, application = granted
    credit = Grant.objects.get(application=application, benefit__kind=Benefit.Kind.MESSAGE_CREDIT)
    account = message_credit_account(store=store)
    # the store sent messages for ₩100,000 of it and topped up ₩50,000 of its own
    ledger_transfer(idempotency_key="spent", kind=CHARGE_KIND, source=account,
                    destination=catalogue.cash_account(), amount=100_000)
    ledger_transfer(idempotency_key="own", kind=TOP_UP_KIND, source=catalogue.cash_account(),
                    destination=account, amount=50_000)

    spent_before = selectors.program_figures(program=prog).spent

    withdrawn = grant_endings.grant_withdraw(grant=credit, actor=operator_user, reason="폐업")

    assert withdrawn.returned == MESSAGE_CREDIT - 100_000
    account.refresh_from_db(fields=["balance"])
    assert account.balance == 50_000  # the store's own top-up stays
    budget = services.program_budget_account(program=prog)
    assert budget.balance == DEFAULT_BUDGET - 100_000
    figures = selectors.program_figures(program=prog)
    assert (spent_before, figures.spent, figures.committed) == (100_000, 100_000, 100_000)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.GRANT_WITHDRAW)
    assert entry.amount == MESSAGE_CREDIT - 100_000
    assert ledger_verify().ok


def test_only_the_programs_operator_may_withdraw_and_a_reason_is_needed(
    granted, operator_user
):
    _prog, application = granted
    grant = Grant.objects.filter(application=application).first()
    stranger = StaffUserFactory(email="stranger@example.kr")

    with pytest.raises(NotProgramOperator):
        grant_endings.grant_withdraw(grant=grant, actor=stranger, reason="x")
    with pytest.raises(InvalidProgram):
        grant_endings.grant_withdraw(grant=grant, actor=operator_user, reason="  ")

    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.GRANT_WITHDRAW).exists()


def test_the_console_withdraws_a_grant_for_its_operator_only(
    client, granted, operator_user, auditor_user
):
    prog, application = granted
    credit = Grant.objects.get(application=application, benefit__kind=Benefit.Kind.MESSAGE_CREDIT)
    url = reverse("programs:console_grant_withdraw", args=[prog.pk, credit.pk])

    client.force_login(auditor_user)
    refused = client.post(url, {"reason": "허위 신청"})
    client.force_login(operator_user)
    no_reason = client.post(url, {"reason": ""}, follow=True)
    credit.refresh_from_db()
    status_without_reason = credit.status
    done = client.post(url, {"reason": "허위 신청"}, follow=True)

    assert refused.status_code == 403
    assert status_without_reason == Grant.Status.ACTIVE
    assert "철회 사유를 적어 주세요." in no_reason.content.decode()
    credit.refresh_from_db()
    assert (credit.status, credit.returned, credit.ended_by) == (
        Grant.Status.WITHDRAWN, MESSAGE_CREDIT, operator_user,
    )
    page = done.content.decode()
    assert f'data-grant-status="{Grant.Status.WITHDRAWN}"' in page
    assert "₩300,000 회수" in page
