"""Pledges (상생 약속): an organisation's commitment with a metric, a target and a deadline,
and its progress.

The platform computes four metrics over the programs the pledge is about — its `program`,
or else every program the organisation operates:

- markets_supported: distinct markets with an active enrolment;
- merchants_credited: distinct stores granted message credit (a Grant of a message credit
  benefit with an amount above ₩0);
- settlement_cycles: the most settlement cycles a month in use — the largest
  `cycles_per_month` of the settlement policies of the stores granted a settlement upgrade;
- fast_payouts: payouts in fast settlement runs (빠른정산) to stores granted fast settlement.

Any other commitment is `reported`: the organisation reports a value with its evidence.
Progress is the value as a share of the target; a pledge is reached when value ≥ target.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.organisations.models import Organisation
from dangol.programs.errors import PledgeInvalid, PledgeNotReported
from dangol.programs.models import Benefit, Enrolment, Grant, Pledge, Program
from dangol.settlement.models import SettlementRun

Metric = Pledge.Metric

# --- errors ---------------------------------------------------------------------------------


# --- writes ---------------------------------------------------------------------------------


def _positive_int(value: Any, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def pledge_create(
    *,
    organisation: Organisation,
    text: str,
    metric: str,
    target: int,
    deadline: dt.date,
    program: Program | None = None,
) -> Pledge:
    """Record `organisation`'s pledge. `program`, when given, must be one the organisation
    operates or funds; the computed metrics then count that program only. Raise
    PledgeInvalid for empty text, an unknown metric or a target under 1."""
    text = (text or "").strip()
    if not text:
        raise PledgeInvalid(reason=_("약속 내용을 적어 주세요"))
    if metric not in Metric.values:
        raise PledgeInvalid(reason=_("알 수 없는 지표입니다"))
    if not _positive_int(target, minimum=1):
        raise PledgeInvalid(reason=_("목표는 1 이상이어야 합니다"))
    if program is not None and organisation.pk not in (
        program.operator_id, program.fund.organisation_id if program.fund else None
    ):
        raise PledgeInvalid(reason=_("기관이 운영하거나 출연한 사업이 아닙니다"))
    return Pledge.objects.create(
        organisation=organisation, program=program, text=text, metric=metric,
        target=target, deadline=deadline,
    )


def pledge_report(*, pledge: Pledge, value: int, evidence: str) -> Pledge:
    """Report the value of a `reported` pledge with its evidence (a later report replaces
    the earlier one). Raise PledgeNotReported for a computed metric and PledgeInvalid
    without evidence or for a negative value."""
    if pledge.metric != Metric.REPORTED:
        raise PledgeNotReported()
    evidence = (evidence or "").strip()
    if not evidence:
        raise PledgeInvalid(reason=_("증빙을 함께 적어 주세요"))
    if not _positive_int(value, minimum=0):
        raise PledgeInvalid(reason=_("보고한 값은 0 이상의 정수여야 합니다"))
    with transaction.atomic():
        locked = Pledge.objects.select_for_update().get(pk=pledge.pk)
        locked.reported_value = value
        locked.evidence = evidence
        locked.reported_at = clock.now()
        locked.save(update_fields=["reported_value", "evidence", "reported_at", "updated_at"])
    pledge.refresh_from_db()
    return pledge


# --- metrics --------------------------------------------------------------------------------

ORG = "org"
PROGRAM = "program"


def _metric_rows(metric: str, by: str) -> QuerySet[Any]:
    """Return a query of (key, n) for a computed metric, `key` the operator organisation's
    id (`by` ORG) or the program's id (`by` PROGRAM)."""
    if metric == Metric.MARKETS_SUPPORTED:
        key = "program__operator_id" if by == ORG else "program_id"
        return (
            Enrolment.objects.filter(status=Enrolment.Status.ACTIVE)
            .values(key=F(key))
            .annotate(n=Count("market_id", distinct=True))
        )
    key = "benefit__program__operator_id" if by == ORG else "benefit__program_id"
    grants = Grant.objects.values(key=F(key))
    if metric == Metric.MERCHANTS_CREDITED:
        return grants.filter(benefit__kind=Benefit.Kind.MESSAGE_CREDIT, amount__gt=0).annotate(
            n=Count("store_id", distinct=True)
        )
    if metric == Metric.SETTLEMENT_CYCLES:
        return grants.filter(benefit__kind=Benefit.Kind.SETTLEMENT_UPGRADE).annotate(
            n=Max("store__settlement_account__policy__cycles_per_month")
        )
    if metric == Metric.FAST_PAYOUTS:
        return grants.filter(benefit__kind=Benefit.Kind.FAST_SETTLEMENT).annotate(
            n=Count(
                "store__payouts__id",
                filter=Q(store__payouts__run__kind=SettlementRun.Kind.FAST),
                distinct=True,
            )
        )
    raise PledgeInvalid(reason=_("알 수 없는 지표입니다"))


def _scope(pledge: Pledge) -> tuple[str, int]:
    if pledge.program_id is not None:
        return PROGRAM, pledge.program_id
    return ORG, pledge.organisation_id


@dataclass(frozen=True)
class PledgeProgress:
    """A pledge with its current value (None for a `reported` pledge not reported yet),
    its share of the target in percent (rounded down) and whether it is reached/overdue."""

    pledge: Pledge
    value: int | None
    computed: bool

    @property
    def target(self) -> int:
        """The pledge's target."""
        return int(self.pledge.target)

    @property
    def percent(self) -> int:
        """The value as a whole percent of the target, rounded down (may exceed 100)."""
        return (self.value or 0) * 100 // self.target

    @property
    def reached(self) -> bool:
        """True once the value meets the target."""
        return self.value is not None and self.value >= self.target

    @property
    def overdue(self) -> bool:
        """True when the deadline (KST) has passed without reaching the target."""
        return not self.reached and self.pledge.deadline < clock.today_kst()


def _progress(pledge: Pledge, values: dict[tuple[str, str, int], int]) -> PledgeProgress:
    if pledge.metric == Metric.REPORTED:
        value = None if pledge.reported_value is None else int(pledge.reported_value)
        return PledgeProgress(pledge=pledge, value=value, computed=False)
    by, key = _scope(pledge)
    return PledgeProgress(
        pledge=pledge, value=int(values.get((pledge.metric, by, key)) or 0), computed=True
    )


def pledge_progress(*, pledge: Pledge) -> PledgeProgress:
    """Return `pledge`'s progress (one query for a computed metric, none for a reported
    one)."""
    values: dict[tuple[str, str, int], int] = {}
    if pledge.metric != Metric.REPORTED:
        by, key = _scope(pledge)
        for row in _metric_rows(pledge.metric, by).filter(key=key).order_by():
            values[(pledge.metric, by, key)] = row["n"]
    return _progress(pledge, values)


@dataclass(frozen=True)
class OrganisationPledges:
    """One organisation's pledges with their progress, for the auditor."""

    organisation: Organisation
    pledges: list[PledgeProgress]

    @property
    def reached(self) -> int:
        """How many of the pledges are reached."""
        return sum(1 for p in self.pledges if p.reached)


def pledges_overview() -> list[OrganisationPledges]:
    """Return every organisation's pledges with progress, organisations by name and pledges
    by deadline — for the auditor (ministry). At most nine queries whatever the number of
    organisations, programs and pledges: the pledges, then one GROUP BY per computed metric
    and scope (organisation or program) in use."""
    pledges = list(
        Pledge.objects.select_related("organisation", "program").order_by(
            "organisation__name", "organisation_id", "deadline", "id"
        )
    )
    wanted: dict[tuple[str, str], set[int]] = defaultdict(set)
    for pledge in pledges:
        if pledge.metric != Metric.REPORTED:
            by, key = _scope(pledge)
            wanted[(pledge.metric, by)].add(key)
    values: dict[tuple[str, str, int], int] = {}
    for (metric, by), keys in wanted.items():
        for row in _metric_rows(metric, by).filter(key__in=sorted(keys)).order_by():
            values[(metric, by, row["key"])] = row["n"]
    grouped: dict[int, OrganisationPledges] = {}
    for pledge in pledges:
        entry = grouped.get(pledge.organisation_id)
        if entry is None:
            entry = grouped[pledge.organisation_id] = OrganisationPledges(
                organisation=pledge.organisation, pledges=[]
            )
        entry.pledges.append(_progress(pledge, values))
    return list(grouped.values())
