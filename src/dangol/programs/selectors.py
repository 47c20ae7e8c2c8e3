"""Reads of programs: budget figures, the operator's review queue, programs a user may see.

Budget figures of a program (integer won):
- budget: what the program was given (Program.budget, moved into its budget account);
- committed: granted so far less what withdrawals returned, Σ (Grant.amount − Grant.returned);
- spent: what the grants were used for. Rule, per credit account a grant paid into (a
  store's message credit, or a market's for market channel credit): with g the program's
  grants into it less what withdrawals took back, spent there = g − the grants' unused
  part (`dangol.messaging.credit.granted_credit_unused`: granted credit is spent before
  the sender's own top-ups). A store with grants from two programs is counted in each,
  each capped at its own grant.
- remaining: the budget account's balance (also lowered by promotion-hall shares).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Sum
from django.utils.translation import gettext as _

from dangol.access import checks, policy
from dangol.access.checks import Actor
from dangol.core.money import format_won
from dangol.ledger.models import Account, Entry
from dangol.messaging.credit import granted_credit_unused, message_credit_top_ups
from dangol.programs.errors import NotProgramOperator, ProgramNotFound
from dangol.programs.models import Application, Enrolment, Grant, Program


@dataclass(frozen=True)
class ProgramFigures:
    budget: int
    committed: int
    spent: int
    remaining: int
    grants: int
    enrolled_markets: int


def programs_figures(*, programs: Iterable[Program]) -> dict[int, ProgramFigures]:
    """Return each program's figures by id, in four queries whatever their number."""
    programs = list(programs)
    ids = [program.pk for program in programs]
    grants: dict[int, dict[str, Any]] = {
        row["benefit__program_id"]: dict(row)
        for row in Grant.objects.filter(benefit__program_id__in=ids)
        .values("benefit__program_id").order_by()
        .annotate(committed=Sum(F("amount") - F("returned")), count=Count("id"))
    }
    remaining = dict(
        Account.objects.filter(
            owner_type="program", owner_id__in=ids, kind=Account.Kind.PROGRAM_BUDGET
        ).values_list("owner_id", "balance")
    )
    spent = dict.fromkeys(ids, 0)
    # The credit side of each grant's posting and of its withdrawal's (taken back: negative),
    # one inner-joined aggregate each, in one UNION ALL (an OR over the two outer joins
    # makes the database read every entry of the ledger).
    def credit_side(relation: str) -> QuerySet[Any, Any]:
        return (
            Entry.objects.filter(**{f"transaction__{relation}__benefit__program_id__in": ids},
                                 account__kind=Account.Kind.MESSAGE_CREDIT)
            .values(program=F(f"transaction__{relation}__benefit__program_id"),
                    credit=F("account_id"), balance=F("account__balance"))
            .order_by()
            .annotate(granted=Sum("amount"), top_ups=message_credit_top_ups(OuterRef("account_id")))
        )

    credited: dict[tuple[int, int], dict[str, int]] = {}
    for row in credit_side("grant").union(credit_side("grant_return"), all=True):
        held = credited.setdefault((row["program"], row["credit"]), {
            "granted": 0, "balance": row["balance"], "top_ups": row["top_ups"],
        })
        held["granted"] += row["granted"]
    for (program_id, _credit), held in credited.items():
        granted = held["granted"]
        spent[program_id] += granted - granted_credit_unused(
            granted=granted, balance=held["balance"], top_ups=held["top_ups"]
        )
    enrolled = dict(
        Enrolment.objects.filter(program_id__in=ids).values("program_id").order_by()
        .annotate(n=Count("id")).values_list("program_id", "n")
    )
    return {
        program.pk: ProgramFigures(
            budget=program.budget,
            committed=grants.get(program.pk, {}).get("committed") or 0,
            spent=spent[program.pk],
            remaining=remaining.get(program.pk) or 0,
            grants=grants.get(program.pk, {}).get("count") or 0,
            enrolled_markets=enrolled.get(program.pk, 0),
        )
        for program in programs
    }


def program_figures(*, program: Program) -> ProgramFigures:
    """Return the program's budget, committed, spent, remaining, grants and enrolled markets."""
    return programs_figures(programs=[program])[program.pk]


def applications_queue(*, program: Program) -> QuerySet[Application]:
    """Return the program's applications waiting for review, oldest first."""
    return (
        Application.objects.filter(program=program, status=Application.Status.REVIEW)
        .select_related("store", "store__market", "applicant")
        .order_by("created_at", "id")
    )


def programs_for(*, user: Actor) -> QuerySet[Program]:
    """Return the programs `user` may see (access's `programs.view`): an operator its
    organisations' programs, an auditor (or the platform admin) every program; nobody else
    any."""
    programs = Program.objects.select_related("operator", "fund").order_by("-starts_on", "id")
    if checks.may_audit(user):
        return programs
    return programs.filter(operator__in=checks.organisations_operated_by(user))


def _program_for(
    user: Actor, program_id: int, action: policy.Action, memo: checks.Memo | None
) -> Program:
    program = Program.objects.select_related("operator", "fund").filter(pk=program_id).first()
    if program is None:
        raise ProgramNotFound()
    if not checks.may(user, action, organisation_id=program.operator_id, memo=memo):
        raise NotProgramOperator()
    return program


def program_for_reader(
    *, user: Actor, program_id: int, action: policy.Action = policy.PROGRAM_VIEW,
    memo: checks.Memo | None = None,
) -> Program:
    """Return program `program_id` if `user` may read it (`programs.view`, or the reading
    `action` given, such as `programs.export`): an operator of its organisation, an auditor,
    the admin. Raise ProgramNotFound, or NotProgramOperator for anyone else. (`memo`: see
    access.checks.holds_any.)"""
    return _program_for(user, program_id, action, memo)


def program_for_operator(
    *, user: Actor, program_id: int, action: policy.Action = policy.PROGRAM_REVIEW,
    memo: checks.Memo | None = None,
) -> Program:
    """Return program `program_id` if `user` may take `action` on it as its operator
    (review, roll-out, hall: an operator of its organisation, or the admin; never an
    auditor). Raise ProgramNotFound, or NotProgramOperator."""
    return _program_for(user, program_id, action, memo)


def reason_message(reason: dict[str, Any]) -> str:
    """Return an application reason ({"code": …, params}) as a sentence in the active language."""
    code = reason.get("code")
    if code == "invalid_brn":
        return _("사업자등록번호가 올바르지 않습니다: %(brn)s") % {"brn": reason.get("brn") or "-"}
    if code == "out_of_scope":
        return _("가게가 사업 대상 지역·시장에 있지 않습니다.")
    if code == "sales_above_limit":
        return _("신고한 연 매출 %(declared)s이(가) 상한 %(limit)s을(를) 넘습니다.") % {
            "declared": format_won(int(reason.get("declared", 0))),
            "limit": format_won(int(reason.get("limit", 0))),
        }
    if code == "applicant_cap_reached":
        return _("신청 가게 수 상한(%(cap)s곳)에 이르렀습니다.") % {"cap": reason.get("cap")}
    if code == "budget_exhausted":
        return _("사업 예산이 부족합니다.")
    if code == "settlement_account_missing":
        return _("정산 계좌가 없어 정산 혜택을 적용하지 못했습니다.")
    if code == "settlement_changed_since_grant":
        return _("지원 후 정산 조건이 바뀌어 지원이 끝날 때 되돌리지 않았습니다.")
    if code == "rejected":
        return _("반려: %(note)s") % {"note": reason.get("note", "")}
    if code == "approved_note":
        return _("승인 메모: %(note)s") % {"note": reason.get("note", "")}
    return str(code)


def application_reasons(*, application: Application) -> list[str]:
    """Return the application's reasons as sentences in the active language."""
    return [reason_message(reason) for reason in application.reasons]
