"""Region roll-out (확산) of a program: enrol a whole 시군구 in one action, move each market
through invited → onboarding → active, set a target and show progress per 시도 and 시군구.

`region_enrol` is one INSERT … SELECT (set-based, portable between SQLite and PostgreSQL):
every market and shopping street of the 시군구 in the registry — including those still filed
under an abolished or renamed 시군구 whose successor it is — that the program has not enrolled
yet. `rollout_progress` reads with a constant number of GROUP BY queries.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dangol.accounts.models import User
from dangol.core import clock
from dangol.places.models import Market, Region
from dangol.programs.errors import EnrolmentBackwards, RolloutInvalid, RolloutProgramClosed
from dangol.programs.models import BASIS_POINTS, Enrolment, Program, RolloutTarget

# --- errors ---------------------------------------------------------------------------------


STEPS = (Enrolment.Status.INVITED, Enrolment.Status.ONBOARDING, Enrolment.Status.ACTIVE)


# --- writes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionEnrolment:
    """What `region_enrol` did: the 시군구, its markets in the registry, how many were
    enrolled now and how many had been before."""

    region: Region
    markets: int
    enrolled: int
    already: int


def _region_markets(region: Region) -> Q:
    """Markets of `region`, also those filed under a predecessor of it."""
    return Q(region=region) | Q(region__successor=region)


def region_enrol(*, program: Program, region: Region) -> RegionEnrolment:
    """Enrol every market and shopping street of the 시군구 `region` in `program` (invited),
    skipping those already enrolled, and add the region to the program's scope.

    One INSERT … SELECT does the enrolment whatever the number of markets; running it again
    enrols nothing more. Raise RolloutInvalid for a 시도 or an abolished region and
    RolloutProgramClosed for a closed program.
    """
    if region.level != Region.Level.SIGUNGU:
        raise RolloutInvalid(reason=_("시군구 단위로만 한꺼번에 참여시킬 수 있습니다"))
    if not region.is_active:
        raise RolloutInvalid(reason=_("폐지되거나 이름이 바뀐 시군구입니다"))
    if program.status == Program.Status.CLOSED:
        raise RolloutProgramClosed()
    enrolment = Enrolment._meta.db_table
    market = Market._meta.db_table
    place = Region._meta.db_table
    now = clock.now()
    sql = (
        f"INSERT INTO {enrolment} (program_id, market_id, status, invited_at, updated_at) "  # noqa: S608
        f"SELECT %s, m.id, %s, %s, %s FROM {market} m "
        f"JOIN {place} r ON r.code = m.region_id "
        f"WHERE (m.region_id = %s OR r.successor_id = %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {enrolment} e "
        f"WHERE e.program_id = %s AND e.market_id = m.id) "
        f"ON CONFLICT (program_id, market_id) DO NOTHING"
    )
    params: list[Any] = [
        program.pk, Enrolment.Status.INVITED.value, now, now,
        region.pk, region.pk, program.pk,
    ]
    with transaction.atomic():
        program.regions.add(region)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            enrolled = max(cursor.rowcount, 0)
        markets = Market.objects.filter(_region_markets(region)).count()
    return RegionEnrolment(
        region=region, markets=markets, enrolled=enrolled, already=markets - enrolled
    )


def enrolment_advance(
    *, enrolment: Enrolment, to: str, actor: User | None = None
) -> Enrolment:
    """Move `enrolment` forward to `to` (onboarding or active), stamping the time of each
    step reached (a step skipped gets the same time). Becoming active grants the program's
    market channel credit to the market (once, audited as `actor`'s). Advancing to the
    current step changes nothing; going back raises EnrolmentBackwards."""
    if to not in STEPS:
        raise RolloutInvalid(reason=_("알 수 없는 단계입니다"))
    target = STEPS.index(Enrolment.Status(to))
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        current = STEPS.index(Enrolment.Status(locked.status))
        if target < current:
            raise EnrolmentBackwards(current=locked.get_status_display())
        if target > current:
            now = clock.now()
            if target >= 1 and locked.onboarding_at is None:
                locked.onboarding_at = now
            if target >= 2 and locked.active_at is None:  # noqa: PLR2004
                locked.active_at = now
            locked.status = STEPS[target]
            locked.save(update_fields=["status", "onboarding_at", "active_at", "updated_at"])
            if locked.status == Enrolment.Status.ACTIVE:
                # The market channel's credit, if the program gives one, comes with activation
                # (BudgetExhausted rolls the step back).
                from dangol.programs.services import market_channel_grant

                market_channel_grant(
                    program=locked.program, market=locked.market, actor=actor
                )
    enrolment.refresh_from_db()
    return enrolment


def rollout_target_set(
    *, program: Program, markets: int, due_on: dt.date | None
) -> RolloutTarget:
    """Set (or replace) the roll-out target of `program`: `markets` active markets by
    `due_on`. Raise RolloutInvalid for a target under 1 or a due date before the start."""
    if isinstance(markets, bool) or not isinstance(markets, int) or markets < 1:
        raise RolloutInvalid(reason=_("목표 시장 수는 1 이상이어야 합니다"))
    if due_on is not None and due_on < program.starts_on:
        raise RolloutInvalid(reason=_("기한이 사업 시작일보다 빠릅니다"))
    target, _created = RolloutTarget.objects.update_or_create(
        program=program, defaults={"markets": markets, "due_on": due_on}
    )
    return target


# --- reads ----------------------------------------------------------------------------------


@dataclass
class RolloutRow:
    """Enrolment counts of one area (a 시군구, a 시도 or the whole program).

    `registry` is how many markets the registry holds in the area, `share_bp` the area's
    active markets as a share of the target in basis points (None without a target).
    """

    code: str
    name: str
    invited: int = 0
    onboarding: int = 0
    active: int = 0
    registry: int = 0
    share_bp: int | None = None

    @property
    def enrolled(self) -> int:
        """Markets enrolled in any step."""
        return self.invited + self.onboarding + self.active

    @property
    def percent(self) -> float | None:
        """The target share in percent, to one decimal."""
        return None if self.share_bp is None else round(self.share_bp / 100, 1)

    def _add(self, other: "RolloutRow") -> None:
        self.invited += other.invited
        self.onboarding += other.onboarding
        self.active += other.active
        self.registry += other.registry


@dataclass
class SidoRollout(RolloutRow):
    """A 시도 with its 시군구."""

    sigungu: list[RolloutRow] = field(default_factory=list)


@dataclass
class RolloutProgress:
    """A program's roll-out: its target, the totals and the 시도 (each with its 시군구)."""

    program: Program
    target: RolloutTarget | None
    total: RolloutRow
    sido: list[SidoRollout]

    @property
    def reached(self) -> bool:
        """True once the active markets meet the target."""
        return self.target is not None and self.total.active >= self.target.markets


def _share(active: int, target: RolloutTarget | None) -> int | None:
    return None if target is None else active * BASIS_POINTS // target.markets


def rollout_progress(*, program: Program) -> RolloutProgress:
    """Return `program`'s roll-out per 시도 and 시군구 with totals, in four queries whatever
    the number of markets: enrolments by area and step, the target, the areas, the
    registry's markets by area. A market filed under an abolished 시군구 counts in its
    successor."""
    area = Coalesce("region__successor_id", "region_id")
    counts = (
        Enrolment.objects.filter(program=program)
        .values("status", code=Coalesce("market__region__successor_id", "market__region_id"))
        .annotate(n=Count("id"))
        .order_by()
    )
    rows: dict[str, RolloutRow] = {}
    for entry in counts:
        row = rows.setdefault(entry["code"], RolloutRow(code=entry["code"], name=""))
        setattr(row, entry["status"], getattr(row, entry["status"]) + entry["n"])
    target = RolloutTarget.objects.filter(program=program).first()
    regions = {
        r.code: r
        for r in Region.objects.filter(Q(code__in=list(rows)) | Q(programs=program))
        .select_related("parent")
        .distinct()
    }
    for code in regions:
        rows.setdefault(code, RolloutRow(code=code, name=""))
    registry = (
        Market.objects.annotate(code=area)
        .filter(code__in=list(rows))
        .values("code")
        .annotate(n=Count("id"))
        .order_by()
    )
    for code, n in registry.values_list("code", "n"):
        rows[code].registry = n
    total = RolloutRow(code="", name=str(program))
    by_sido: dict[str, SidoRollout] = {}
    for code in sorted(rows):
        row = rows[code]
        region = regions.get(code)
        row.name = region.name if region is not None else code
        parent = region.parent if region is not None else None
        sido_code = parent.code if parent is not None else code[:2]
        sido = by_sido.setdefault(
            sido_code,
            SidoRollout(code=sido_code, name=parent.name if parent is not None else sido_code),
        )
        row.share_bp = _share(row.active, target)
        sido.sigungu.append(row)
        sido._add(row)
        total._add(row)
    for sido in by_sido.values():
        sido.share_bp = _share(sido.active, target)
    total.share_bp = _share(total.active, target)
    return RolloutProgress(
        program=program, target=target, total=total,
        sido=[by_sido[code] for code in sorted(by_sido)],
    )
