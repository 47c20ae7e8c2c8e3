"""Region roll-out: enrol a whole 시군구 in one action, advance markets, targets, progress."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangol.core import clock
from dangol.places.models import Market, Region
from dangol.programs.errors import EnrolmentBackwards, RolloutInvalid, RolloutProgramClosed
from dangol.programs.models import Enrolment, Program, RolloutTarget
from dangol.programs.rollout import (
    enrolment_advance,
    region_enrol,
    rollout_progress,
    rollout_target_set,
)
from tests.factories import MarketFactory, OrganisationFactory, SidoFactory, SigunguFactory

pytestmark = pytest.mark.django_db

T0 = clock.kst(2026, 11, 2, 9)


@pytest.fixture
def org():
    return OrganisationFactory(name="부산광역시청", kind="city")


@pytest.fixture
def make_program(org):
    counter = iter(range(1, 1000))

    def make(**kwargs):
        fields = {
            "name": f"확산 사업 {next(counter)}",
            "operator": org,
            "starts_on": dt.date(2026, 11, 1),
            "ends_on": dt.date(2027, 10, 31),
            "budget": 0,
            "status": Program.Status.OPEN,
        }
        fields.update(kwargs)
        return Program.objects.create(**fields)

    return make


@pytest.fixture
def busan():
    return SidoFactory()


@pytest.fixture
def haeundae(busan):
    return SigunguFactory()


@pytest.fixture
def geumjeong(busan):
    return SigunguFactory(code="26410", name="금정구", full_name="부산광역시 금정구", parent=busan)


@pytest.fixture
def gangnam():
    seoul = SidoFactory(code="11", name="서울특별시", full_name="서울특별시")
    return SigunguFactory(code="11680", name="강남구", full_name="서울특별시 강남구", parent=seoul)


def statuses(program):
    return dict(program.enrolments.values_list("market__name", "status"))


def test_region_enrol_enrols_every_market_and_street_of_the_region_once(
    make_program, haeundae, geumjeong, frozen_clock
):
    frozen_clock(T0)
    program = make_program()
    MarketFactory(name="반송큰시장", region=haeundae)
    MarketFactory(name="해운대시장", region=haeundae)
    MarketFactory(name="구남로상점가", region=haeundae, kind=Market.Kind.STREET)
    MarketFactory(name="부곡시장", region=geumjeong)

    result = region_enrol(program=program, region=haeundae)

    assert (result.region, result.markets, result.enrolled, result.already) == (haeundae, 3, 3, 0)
    assert statuses(program) == {
        "반송큰시장": "invited", "해운대시장": "invited", "구남로상점가": "invited",
    }
    assert set(program.enrolments.values_list("invited_at", flat=True)) == {T0}
    assert not program.enrolments.filter(onboarding_at__isnull=False).exists()
    assert list(program.regions.all()) == [haeundae]


def test_region_enrol_again_skips_enrolled_markets_and_keeps_their_step(make_program, haeundae):
    program = make_program()
    first, second = MarketFactory.create_batch(2, region=haeundae)
    region_enrol(program=program, region=haeundae)
    enrolment_advance(enrolment=program.enrolments.get(market=first), to="active")
    third = MarketFactory(region=haeundae)

    again = region_enrol(program=program, region=haeundae)

    assert (again.markets, again.enrolled, again.already) == (3, 1, 2)
    assert program.enrolments.count() == 3
    assert program.enrolments.get(market=first).status == Enrolment.Status.ACTIVE
    assert program.enrolments.get(market=third).status == Enrolment.Status.INVITED
    assert program.regions.count() == 1
    assert region_enrol(program=program, region=haeundae).enrolled == 0


def test_region_enrol_is_one_set_based_action_whatever_the_number_of_markets(
    make_program, haeundae, geumjeong
):
    MarketFactory.create_batch(2, region=haeundae)
    Market.objects.bulk_create(
        [Market(name=f"금정 시장 {n}", region=geumjeong) for n in range(300)]
    )
    small, large = make_program(), make_program()
    with CaptureQueriesContext(connection) as few:
        assert region_enrol(program=small, region=haeundae).enrolled == 2
    with CaptureQueriesContext(connection) as many:
        assert region_enrol(program=large, region=geumjeong).enrolled == 300
    assert len(many.captured_queries) == len(few.captured_queries)
    inserts = [q for q in many.captured_queries if "programs_enrolment" in q["sql"]
               and q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert Enrolment.objects.filter(program=large).count() == 300


def test_region_enrol_includes_markets_filed_under_a_predecessor(make_program, haeundae, busan):
    old = Region.objects.create(
        level="sigungu",
        code="26351", name="옛해운대구", full_name="부산광역시 옛해운대구", parent=busan,
        is_active=False, successor=haeundae,
    )
    MarketFactory(name="새 시장", region=haeundae)
    MarketFactory(name="옛 시장", region=old)
    program = make_program()

    result = region_enrol(program=program, region=haeundae)

    assert (result.markets, result.enrolled) == (2, 2)
    with pytest.raises(RolloutInvalid):
        region_enrol(program=program, region=old)
    progress = rollout_progress(program=program)
    assert [(r.code, r.invited, r.registry) for r in progress.sido[0].sigungu] == [
        ("26350", 2, 2)
    ]


def test_region_enrol_refuses_a_sido_and_a_closed_program(make_program, haeundae, busan):
    MarketFactory(region=haeundae)
    with pytest.raises(RolloutInvalid) as sido:
        region_enrol(program=make_program(), region=busan)
    assert "시군구" in sido.value.message
    closed = make_program(status=Program.Status.CLOSED)
    with pytest.raises(RolloutProgramClosed):
        region_enrol(program=closed, region=haeundae)
    assert Enrolment.objects.count() == 0
    assert closed.regions.count() == 0


def test_enrolment_moves_invited_onboarding_active_with_timestamps(
    make_program, haeundae, frozen_clock
):
    MarketFactory(region=haeundae)
    program = make_program()
    frozen_clock(T0)
    region_enrol(program=program, region=haeundae)
    enrolment = program.enrolments.get()

    frozen_clock(T0 + dt.timedelta(days=3))
    enrolment_advance(enrolment=enrolment, to=Enrolment.Status.ONBOARDING)
    e = enrolment
    assert (e.status, e.invited_at, e.onboarding_at, e.active_at) == (
        "onboarding", T0, T0 + dt.timedelta(days=3), None
    )
    frozen_clock(T0 + dt.timedelta(days=10))
    enrolment_advance(enrolment=enrolment, to="onboarding")  # same step: nothing changes
    assert enrolment.onboarding_at == T0 + dt.timedelta(days=3)
    enrolment_advance(enrolment=enrolment, to="active")
    assert (enrolment.status, enrolment.active_at) == ("active", T0 + dt.timedelta(days=10))

    with pytest.raises(EnrolmentBackwards) as back:
        enrolment_advance(enrolment=enrolment, to="onboarding")
    assert "운영 중" in back.value.message
    with pytest.raises(EnrolmentBackwards):
        enrolment_advance(enrolment=enrolment, to="invited")
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    with pytest.raises(RolloutInvalid):
        enrolment_advance(enrolment=enrolment, to="closed")


def test_enrolment_straight_to_active_stamps_onboarding_too(make_program, haeundae, frozen_clock):
    MarketFactory(region=haeundae)
    program = make_program()
    region_enrol(program=program, region=haeundae)
    frozen_clock(T0)
    enrolment = enrolment_advance(enrolment=program.enrolments.get(), to="active")
    assert (enrolment.onboarding_at, enrolment.active_at) == (T0, T0)


def test_rollout_target_set_creates_and_replaces(make_program):
    program = make_program()
    target = rollout_target_set(program=program, markets=100, due_on=dt.date(2026, 12, 31))
    assert (target.markets, target.due_on) == (100, dt.date(2026, 12, 31))
    rollout_target_set(program=program, markets=120, due_on=None)
    assert list(RolloutTarget.objects.values_list("program_id", "markets", "due_on")) == [
        (program.pk, 120, None)
    ]
    for bad in (0, -1, True, 1.5):
        with pytest.raises(RolloutInvalid):
            rollout_target_set(program=program, markets=bad, due_on=None)  # type: ignore[arg-type]
    with pytest.raises(RolloutInvalid):
        rollout_target_set(program=program, markets=5, due_on=dt.date(2026, 10, 31))


def _advance(program: Program, region: Region, *, onboarding: int, active: int) -> None:
    rows = list(program.enrolments.filter(market__region=region).order_by("id"))
    for enrolment in rows[:active]:
        enrolment_advance(enrolment=enrolment, to="active")
    for enrolment in rows[active:active + onboarding]:
        enrolment_advance(enrolment=enrolment, to="onboarding")


def test_rollout_progress_per_sido_and_sigungu_with_target_share(
    make_program, haeundae, geumjeong, gangnam, django_assert_num_queries
):
    program = make_program()
    other = make_program()
    MarketFactory.create_batch(5, region=haeundae)
    MarketFactory.create_batch(3, region=geumjeong)
    MarketFactory.create_batch(2, region=gangnam)
    for region in (haeundae, geumjeong, gangnam):
        region_enrol(program=program, region=region)
    region_enrol(program=other, region=haeundae)
    _advance(program, haeundae, onboarding=1, active=3)
    _advance(program, geumjeong, onboarding=2, active=0)
    _advance(program, gangnam, onboarding=0, active=1)
    _advance(other, haeundae, onboarding=0, active=5)  # another program's markets don't count
    MarketFactory(region=gangnam)  # in the registry, not enrolled yet
    rollout_target_set(program=program, markets=8, due_on=None)

    with django_assert_num_queries(4):
        progress = rollout_progress(program=program)

    def row(r):
        return (r.code, r.name, r.invited, r.onboarding, r.active, r.enrolled, r.registry,
                r.share_bp)

    assert [row(s) for s in progress.sido] == [
        ("11", "서울특별시", 1, 0, 1, 2, 3, 1250),
        ("26", "부산광역시", 2, 3, 3, 8, 8, 3750),
    ]
    assert [row(r) for r in progress.sido[1].sigungu] == [
        ("26350", "해운대구", 1, 1, 3, 5, 5, 3750),
        ("26410", "금정구", 1, 2, 0, 3, 3, 0),
    ]
    assert [row(r) for r in progress.sido[0].sigungu] == [
        ("11680", "강남구", 1, 0, 1, 2, 3, 1250),
    ]
    total = progress.total
    assert (total.invited, total.onboarding, total.active, total.enrolled, total.registry) == (
        3, 3, 4, 10, 11
    )
    assert (total.share_bp, total.percent, progress.reached) == (5000, 50.0, False)


def test_rollout_target_reached_exactly_at_the_target(make_program, haeundae):
    program = make_program()
    MarketFactory.create_batch(3, region=haeundae)
    region_enrol(program=program, region=haeundae)
    rollout_target_set(program=program, markets=2, due_on=None)
    _advance(program, haeundae, onboarding=1, active=1)
    progress = rollout_progress(program=program)
    assert (progress.total.active, progress.total.share_bp, progress.reached) == (1, 5000, False)
    _advance(program, haeundae, onboarding=0, active=2)
    progress = rollout_progress(program=program)
    assert (progress.total.active, progress.total.share_bp, progress.reached) == (2, 10000, True)


def test_rollout_progress_without_target_or_enrolments(make_program, haeundae):
    program = make_program()
    program.regions.add(haeundae)
    MarketFactory(region=haeundae)
    progress = rollout_progress(program=program)
    assert progress.target is None and progress.reached is False
    assert [(s.code, [(r.code, r.enrolled, r.registry, r.share_bp) for r in s.sigungu])
            for s in progress.sido] == [("26", [("26350", 0, 1, None)])]
    assert (progress.total.enrolled, progress.total.percent) == (0, None)


def test_rollout_at_national_scale_stays_in_constant_queries(
    make_program, busan, django_assert_num_queries
):
    """1,388 markets in 40 시군구 of one 시도: enrol them all, then read progress in 4 queries."""
    # Given 1,388 markets in 40 시군구, all enrolled, those of 10 시군구 active, a target of 100
    regions = [
        Region.objects.create(
            code=f"26{n:03d}", level="sigungu", name=f"구{n}", full_name=f"부산광역시 구{n}",
            parent=busan,
        )
        for n in range(500, 540)
    ]
    Market.objects.bulk_create(
        [Market(name=f"시장 {n}", region=regions[n % 40]) for n in range(1388)]
    )
    program = make_program()
    enrolled = sum(region_enrol(program=program, region=r).enrolled for r in regions)
    assert enrolled == 1388
    Enrolment.objects.filter(program=program, market__region__in=regions[:10]).update(
        status=Enrolment.Status.ACTIVE, onboarding_at=T0, active_at=T0
    )
    rollout_target_set(program=program, markets=100, due_on=None)
    # When progress is read, Then it takes 4 queries whatever the number of markets
    with django_assert_num_queries(4):
        progress = rollout_progress(program=program)
    # and counts every market where it is
    active = sum(1 for n in range(1388) if n % 40 < 10)
    assert (progress.total.enrolled, progress.total.active, progress.total.registry) == (
        1388, active, 1388
    )
    assert len(progress.sido) == 1 and len(progress.sido[0].sigungu) == 40
    assert progress.total.share_bp == active * 100 and progress.reached is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_region_enrols_enrol_each_market_once(make_program, haeundae):
    from tests.concurrency import run_concurrently

    Market.objects.bulk_create([Market(name=f"시장 {n}", region=haeundae) for n in range(50)])
    program = make_program()
    results, refusals = run_concurrently(
        lambda _i: region_enrol(program=program, region=haeundae), threads=10
    )
    assert refusals == []
    assert sum(r.enrolled for r in results) == 50  # type: ignore[attr-defined]
    assert Enrolment.objects.filter(program=program).count() == 50
    assert program.regions.count() == 1
