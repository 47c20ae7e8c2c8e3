"""Writes of programs: funds, programs and their benefits, applications, grants.

Money moves only through the ledger. A fund is a non-negative `fund` account owned by
("fund", id), filled from its organisation's `external` account; a program's budget is a
non-negative `program_budget` account owned by ("program", id), filled at creation from its
fund (or, without a fund, from the operator's external account). A grant moves money from
the budget to the store's message credit (or its market's, for market channel credit).

Concurrency: every application decision locks the program's row first, so decisions of one
program queue (the applicant cap, the one-application-per-store rule and the once-per-market
channel credit stay exact); the budget account is non-negative, so the ledger refuses any
grant that would overspend it, and then the whole application is rolled back.

Eligibility (application_submit). Refused outright, nothing recorded: the applicant does not
own the store (NotStoreOwner); the program is not open or today is outside its period
(ProgramNotOpen). Otherwise the application is recorded; it is approved at once when every
rule holds — valid BRN, store in scope (its market's 시군구, or the store's own without a
market, among the program's regions, or its market enrolled), declared annual sales ≤ the
limit, applicant cap not reached (the cap counts approved applications) — and its grants are
made in the same transaction. If a rule fails it waits in status `review` with its reasons,
each {"code": …, <params>}, for the operator queue. If the budget cannot pay the grants the
application also waits in `review`, with the reason `budget_exhausted`, and nothing of it is
granted (an operator may approve it after the budget grows, or reject it).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction

from dangol.access.checks import may, may_operate
from dangol.access.policy import PROGRAM_APPLY
from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core import clock
from dangol.core.brn import InvalidBRN, brn_normalize
from dangol.core.money import format_won
from dangol.ledger.errors import InsufficientFunds
from dangol.ledger.models import Account
from dangol.ledger.services import account_get_or_create, ledger_transfer
from dangol.messaging.credit import message_credit_grant
from dangol.organisations.models import Organisation
from dangol.places.models import Market, Region, Store
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
from dangol.programs.models import (
    DEFAULT_MAX_ANNUAL_SALES,
    Application,
    Benefit,
    Enrolment,
    Fund,
    Grant,
    Program,
)
from dangol.programs.rules import program_covers_store, store_region_id
from dangol.programs.settlement_benefits import (
    DEFAULT_SETTLEMENT_CYCLES,
    settlement_benefit_apply,
)
from dangol.settlement.models import SettlementPolicy

FUND_KIND = "fund_contribution"
BUDGET_KIND = "program_budget"
DEFAULT_MESSAGE_CREDIT = 300_000
DEFAULT_MARKET_CHANNEL_CREDIT = 3_000_000
DEFAULT_BENEFITS: tuple[dict[str, Any], ...] = (
    {"kind": Benefit.Kind.MESSAGE_CREDIT, "amount": DEFAULT_MESSAGE_CREDIT},
    {"kind": Benefit.Kind.MARKET_CHANNEL_CREDIT, "amount": DEFAULT_MARKET_CHANNEL_CREDIT},
    {"kind": Benefit.Kind.SETTLEMENT_UPGRADE, "cycles_per_month": DEFAULT_SETTLEMENT_CYCLES},
    {"kind": Benefit.Kind.FAST_SETTLEMENT},
)

# Reason codes of an application waiting for review (selectors.reason_message renders them).
REASON_INVALID_BRN = "invalid_brn"
REASON_OUT_OF_SCOPE = "out_of_scope"
REASON_SALES_ABOVE_LIMIT = "sales_above_limit"
REASON_APPLICANT_CAP = "applicant_cap_reached"
REASON_BUDGET_EXHAUSTED = "budget_exhausted"
REASON_REJECTED = "rejected"
# Notes on an approved application: a settlement benefit had no settlement account to change.
NOTE_SETTLEMENT_ACCOUNT_MISSING = "settlement_account_missing"


# --- accounts -------------------------------------------------------------------------------


def organisation_external_account(*, organisation: Organisation) -> Account:
    """Return the organisation's external contribution account (may go negative)."""
    return account_get_or_create(
        owner_type="organisation", owner_id=organisation.pk, kind=Account.Kind.EXTERNAL,
        non_negative=False, name=f"{organisation.name} 출연",
    )


def fund_account(*, fund: Fund) -> Account:
    """Return the fund's non-negative account, opening it at ₩0."""
    return account_get_or_create(
        owner_type="fund", owner_id=fund.pk, kind=Account.Kind.FUND, non_negative=True,
        name=f"{fund.name} 기금",
    )


def program_budget_account(*, program: Program) -> Account:
    """Return the program's non-negative budget account, opening it at ₩0."""
    return account_get_or_create(
        owner_type="program", owner_id=program.pk, kind=Account.Kind.PROGRAM_BUDGET,
        non_negative=True, name=f"{program.name} 예산",
    )


# --- funds and programs ---------------------------------------------------------------------


def _positive_won(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidProgram(reason=f"{field}: {value!r}")
    return value


def fund_create(
    *, name: str, organisation: Organisation, total: int, idempotency_key: str
) -> Fund:
    """Create a fund of `total` won contributed by `organisation` (external → fund transfer).

    A retry with the same name, organisation and total returns the first fund without moving
    money again; raise FundExists if the name is taken by a different fund."""
    total = _positive_won(total, "total")
    if not name.strip():
        raise InvalidProgram(reason="name")
    with transaction.atomic():
        fund, created = Fund.objects.get_or_create(
            name=name.strip(), defaults={"organisation": organisation, "total": total}
        )
        if not created and (fund.organisation_id != organisation.pk or fund.total != total):
            raise FundExists(name=fund.name)
        ledger_transfer(
            idempotency_key=f"programs:fund:{idempotency_key}", kind=FUND_KIND,
            source=organisation_external_account(organisation=organisation),
            destination=fund_account(fund=fund), amount=total,
            description=f"{fund.name} 출연 {format_won(total)}",
        )
    return fund


def _benefits_check(benefits: Iterable[dict[str, Any]]) -> list[Benefit]:
    made: list[Benefit] = []
    kinds: set[str] = set()
    for spec in benefits:
        kind = str(spec.get("kind", ""))
        if kind not in Benefit.Kind.values or kind in kinds:
            raise InvalidProgram(reason=f"benefit kind {kind!r}")
        kinds.add(kind)
        amount = spec.get("amount") or 0
        cycles = spec.get("cycles_per_month")
        share_bp = spec.get("share_bp") or 0
        if kind in (Benefit.Kind.MESSAGE_CREDIT, Benefit.Kind.MARKET_CHANNEL_CREDIT,
                    Benefit.Kind.PROMOTION_SUPPORT):
            _positive_won(amount, kind)
        if kind == Benefit.Kind.SETTLEMENT_UPGRADE:
            cycles = cycles or DEFAULT_SETTLEMENT_CYCLES
            if cycles not in SettlementPolicy.Cycles.values:
                raise InvalidProgram(reason=f"cycles_per_month {cycles!r}")
        if not isinstance(share_bp, int) or not 0 <= share_bp <= 10_000:
            raise InvalidProgram(reason=f"share_bp {share_bp!r}")
        made.append(Benefit(kind=kind, amount=amount, cycles_per_month=cycles, share_bp=share_bp))
    return made


def program_create(
    *,
    name: str,
    operator: Organisation,
    starts_on: dt.date,
    ends_on: dt.date,
    budget: int,
    fund: Fund | None = None,
    regions: Iterable[Region] = (),
    markets: Iterable[Market] = (),
    max_annual_sales: int = DEFAULT_MAX_ANNUAL_SALES,
    applicant_cap: int | None = None,
    benefits: Sequence[dict[str, Any]] | None = None,
    created_by: User | None = None,
    description: str = "",
) -> Program:
    """Create a draft program and move `budget` won into its budget account from `fund`
    (or from the operator's external account without a fund); return it.

    `benefits` are dicts {kind, amount, cycles_per_month, share_bp}; None gives the
    defaults (₩300,000 message credit, ₩3,000,000 market channel credit, 10 settlement
    cycles a month, fast settlement without fee). `markets` are enrolled (invited). Raise
    FundShort if the fund holds less than `budget` (nothing is created) and InvalidProgram
    for a malformed program."""
    budget = _positive_won(budget, "budget")
    if not name.strip():
        raise InvalidProgram(reason="name")
    if ends_on < starts_on:
        raise InvalidProgram(reason="ends_on < starts_on")
    if applicant_cap is not None and applicant_cap < 1:
        raise InvalidProgram(reason="applicant_cap")
    region_list = list(regions)
    if any(region.level != Region.Level.SIGUNGU for region in region_list):
        raise InvalidProgram(reason="regions must be 시군구")
    benefit_rows = _benefits_check(DEFAULT_BENEFITS if benefits is None else benefits)
    with transaction.atomic():
        program = Program.objects.create(
            name=name.strip(), fund=fund, operator=operator, description=description,
            starts_on=starts_on, ends_on=ends_on, max_annual_sales=max_annual_sales,
            applicant_cap=applicant_cap, budget=budget, created_by=created_by,
        )
        program.regions.set(region_list)
        for row in benefit_rows:
            row.program = program
        Benefit.objects.bulk_create(benefit_rows)
        Enrolment.objects.bulk_create(
            [Enrolment(program=program, market=market) for market in markets],
            ignore_conflicts=True,
        )
        source = (
            fund_account(fund=fund) if fund is not None
            else organisation_external_account(organisation=operator)
        )
        try:
            ledger_transfer(
                idempotency_key=f"programs:budget:{program.pk}", kind=BUDGET_KIND,
                source=source, destination=program_budget_account(program=program),
                amount=budget, description=f"{program.name} 예산 {format_won(budget)}",
            )
        except InsufficientFunds as exc:
            source.refresh_from_db(fields=["balance"])
            raise FundShort(
                balance=format_won(source.balance), budget=format_won(budget)
            ) from exc
        audit_record(
            action=AuditEntry.Action.BUDGET_CHANGE, actor=created_by,
            subject=f"program:{program.pk}", amount=budget, organisation_id=operator.pk,
            details={"fund": fund.pk if fund is not None else None},
        )
    return program


def _status_set(program: Program, wanted: str, allowed_from: Iterable[str]) -> Program:
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        if locked.status == wanted:
            return locked
        if locked.status not in allowed_from:
            raise ProgramStatusInvalid(
                current=locked.get_status_display(),
                wanted=Program.Status(wanted).label,
            )
        locked.status = wanted
        locked.save(update_fields=["status", "updated_at"])
    return locked


def program_open(*, program: Program) -> Program:
    """Open a draft program to applications and return it (open stays open)."""
    return _status_set(program, Program.Status.OPEN, [Program.Status.DRAFT])


def program_close(*, program: Program) -> Program:
    """Close a program to applications and return it; its remaining budget stays on its
    account."""
    return _status_set(program, Program.Status.CLOSED, [Program.Status.DRAFT, Program.Status.OPEN])


# --- applications ---------------------------------------------------------------------------


def _eligibility_reasons(
    *, program: Program, store: Store, brn: str | None, declared_annual_sales: int
) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = []
    if brn is None:
        reasons.append({"code": REASON_INVALID_BRN, "brn": store.brn})
    if not program_covers_store(program=program, store=store):
        reasons.append({"code": REASON_OUT_OF_SCOPE, "region": store_region_id(store) or ""})
    if declared_annual_sales > program.max_annual_sales:
        reasons.append({
            "code": REASON_SALES_ABOVE_LIMIT, "declared": declared_annual_sales,
            "limit": program.max_annual_sales,
        })
    if program.applicant_cap is not None:
        approved = program.applications.filter(status=Application.Status.APPROVED).count()
        if approved >= program.applicant_cap:
            reasons.append({"code": REASON_APPLICANT_CAP, "cap": program.applicant_cap})
    return reasons


def application_submit(
    *, program: Program, store: Store, applicant: User, declared_annual_sales: int
) -> Application:
    """Record `store`'s application to `program` and return it: approved with its grants
    made when every rule holds, else in review with its reasons (see the module docstring).
    A second application of the same store returns the first. Raise NotStoreOwner,
    ProgramNotOpen, InvalidProgram for negative sales."""
    if isinstance(declared_annual_sales, bool) or not isinstance(declared_annual_sales, int) \
            or declared_annual_sales < 0:
        raise InvalidProgram(reason="declared_annual_sales")
    if not may(applicant, PROGRAM_APPLY, store=store):
        raise NotStoreOwner()
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        existing = Application.objects.filter(program=locked, store=store).first()
        if existing is not None:
            return existing
        today = clock.today_kst()
        if locked.status != Program.Status.OPEN or not locked.starts_on <= today <= locked.ends_on:
            raise ProgramNotOpen(program=locked.name)
        try:
            brn: str | None = brn_normalize(store.brn or "")
        except InvalidBRN:
            brn = None
        reasons = _eligibility_reasons(
            program=locked, store=store, brn=brn, declared_annual_sales=declared_annual_sales
        )
        application = Application.objects.create(
            program=locked, store=store, applicant=applicant,
            declared_annual_sales=declared_annual_sales, brn=brn or (store.brn or "")[:12],
            status=Application.Status.REVIEW if reasons else Application.Status.APPROVED,
            reasons=reasons, decided_at=None if reasons else clock.now(),
        )
        if not reasons:
            try:
                with transaction.atomic():
                    _grants_audit(
                        application=application, actor=applicant,
                        grants=grants_make(application=application), automatic=True,
                    )
            except BudgetExhausted as exc:
                application.status = Application.Status.REVIEW
                application.decided_at = None
                application.reasons = [{"code": REASON_BUDGET_EXHAUSTED, **exc.params}]
                application.save(update_fields=["status", "decided_at", "reasons", "updated_at"])
    return application


def application_approve(
    *, application: Application, operator_user: User, reason: str = ""
) -> Application:
    """Approve an application in review and make its grants, in one transaction; return it.
    Approving an approved application returns it. Raise NotProgramOperator, ApplicationDecided
    for a rejected one, BudgetExhausted if the budget cannot pay (nothing changes)."""
    if not may_operate(operator_user, application.program.operator_id):
        raise NotProgramOperator()
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=application.program_id)
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status == Application.Status.APPROVED:
            return locked
        if locked.status != Application.Status.REVIEW:
            raise ApplicationDecided(status=locked.get_status_display())
        locked.status = Application.Status.APPROVED
        locked.decided_at = clock.now()
        locked.decided_by = operator_user
        if reason:
            locked.reasons = [*locked.reasons, {"code": "approved_note", "note": reason}]
        locked.save(update_fields=["status", "decided_at", "decided_by", "reasons", "updated_at"])
        _grants_audit(
            application=locked, actor=operator_user, grants=grants_make(application=locked),
            automatic=False,
        )
    return locked


def _grants_audit(
    *, application: Application, actor: User, grants: list[Grant], automatic: bool
) -> None:
    """Record an approved application's grants: `actor` is the operator who approved it, or
    the applicant whose application the rules approved at once (`automatic`)."""
    details: dict[str, Any] = {"program": application.program_id, "store": application.store_id,
                               "grants": len(grants)}
    if automatic:
        details["automatic"] = True
    audit_record(
        action=AuditEntry.Action.GRANT, actor=actor, subject=f"application:{application.pk}",
        amount=sum(grant.amount for grant in grants),
        organisation_id=application.program.operator_id, details=details,
    )


def application_reject(
    *, application: Application, operator_user: User, reason: str
) -> Application:
    """Reject an application in review with the operator's `reason`; return it (a rejected
    one is returned as is). Raise NotProgramOperator, ApplicationDecided for an approved one."""
    if not may_operate(operator_user, application.program.operator_id):
        raise NotProgramOperator()
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status == Application.Status.REJECTED:
            return locked
        if locked.status != Application.Status.REVIEW:
            raise ApplicationDecided(status=locked.get_status_display())
        locked.status = Application.Status.REJECTED
        locked.decided_at = clock.now()
        locked.decided_by = operator_user
        locked.reasons = [*locked.reasons, {"code": REASON_REJECTED, "note": reason}]
        locked.save(update_fields=["status", "decided_at", "decided_by", "reasons", "updated_at"])
    return locked


# --- grants ---------------------------------------------------------------------------------


def _credit_grant(
    *, program: Program, application: Application | None, benefit: Benefit, budget: Account,
    store: Store | None, market: Market | None, key: str,
) -> Grant:
    try:
        posted = message_credit_grant(
            store=store, market=market, amount=benefit.amount, from_account=budget,
            idempotency_key=key,
            description=f"{program.name} {benefit.get_kind_display()} "
                        f"{format_won(benefit.amount)}",
        )
    except InsufficientFunds as exc:
        budget.refresh_from_db(fields=["balance"])
        raise BudgetExhausted(
            remaining=format_won(budget.balance), amount=format_won(benefit.amount)
        ) from exc
    return Grant.objects.create(
        application=application, benefit=benefit, store=store, market=market,
        amount=benefit.amount, transaction=posted,
    )


def grants_make(*, application: Application) -> list[Grant]:
    """Grant every benefit of the application's program to its store; return the grants.

    Message credit: a ledger transfer from the budget to the store's message credit. Market
    channel credit is not a store's: the market channel receives it when its enrolment
    becomes active (`market_channel_grant`). Settlement upgrade and fast settlement
    (fee waived): the store's settlement account is changed and a ₩0 grant recorded with the
    terms before and after (`settlement_benefits`, which puts them back when the grant ends:
    `grant_endings`); a store without a settlement account gets the grant with the note
    `settlement_account_missing` on its application. Promotion support is not granted per
    store (the hall books it). Idempotent: a benefit already granted to the application is
    skipped. Raise BudgetExhausted if the budget cannot pay: then nothing of the application
    is granted."""
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=application.program_id)
        application.program = program
        store = application.store
        done = set(Grant.objects.filter(application=application).values_list("benefit_id",
                                                                              flat=True))
        budget = program_budget_account(program=program)
        notes: list[dict[str, Any]] = []
        for benefit in program.benefits.order_by("id"):
            if benefit.pk in done or benefit.kind in (
                Benefit.Kind.PROMOTION_SUPPORT, Benefit.Kind.MARKET_CHANNEL_CREDIT
            ):
                continue
            if benefit.kind == Benefit.Kind.MESSAGE_CREDIT:
                _credit_grant(
                    program=program, application=application, benefit=benefit, budget=budget,
                    store=store, market=None,
                    key=f"programs:{program.pk}:{application.pk}:{benefit.pk}",
                )
            else:
                terms = settlement_benefit_apply(store=store, benefit=benefit)
                if terms is None:
                    notes.append({"code": NOTE_SETTLEMENT_ACCOUNT_MISSING,
                                  "benefit": benefit.kind})
                Grant.objects.create(
                    application=application, benefit=benefit, store=store,
                    previous_settlement=terms[0] if terms else None,
                    granted_settlement=terms[1] if terms else None,
                )
        if notes:
            application.reasons = [*application.reasons, *notes]
            application.save(update_fields=["reasons", "updated_at"])
    return list(Grant.objects.filter(application=application).order_by("id"))



def market_channel_grant(
    *, program: Program, market: Market, actor: User | None = None
) -> Grant | None:
    """Grant the program's market channel credit to `market`'s channel (a ledger transfer
    from the budget to the market's message credit) and return the grant; None if the
    program has no such benefit. Once per market and program: a repeat returns the first
    grant. Called when the market's enrolment becomes active, by `actor` (None: a command or
    task); the grant is recorded in the audit log. Raise BudgetExhausted if the budget
    cannot pay (nothing changes)."""
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        benefit = locked.benefits.filter(kind=Benefit.Kind.MARKET_CHANNEL_CREDIT).first()
        if benefit is None or not benefit.amount:
            return None
        existing = Grant.objects.filter(benefit=benefit, market=market).first()
        if existing is not None:
            return existing
        grant = _credit_grant(
            program=locked, application=None, benefit=benefit,
            budget=program_budget_account(program=locked), store=None, market=market,
            key=f"programs:{locked.pk}:market:{market.pk}",
        )
        audit_record(
            action=AuditEntry.Action.GRANT, actor=actor, subject=f"grant:{grant.pk}",
            amount=grant.amount, organisation_id=locked.operator_id,
            details={"program": locked.pk, "market": market.pk},
        )
    return grant
