"""The one "program covers store" rule in its three forms over the same cases, and the case
the old copies disagreed on: a store whose market has since moved to another 시군구."""

import itertools

import pytest

from dangol.places.models import Store
from dangol.places.services import market_update
from dangol.programs import hall, services
from dangol.programs.models import Application, Program
from dangol.programs.rules import program_covers_store, programs_covering_q, stores_covered_q
from tests.factories import SigunguFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def suyeong(db):
    """부산광역시 수영구 (26500), beside 해운대구."""
    return SigunguFactory(code="26500", name="수영구", full_name="부산광역시 수영구")


@pytest.fixture
def moved_market(haeundae, suyeong, market_in, store_in):
    """A market whose stores were registered in 해운대구 before it was filed under 수영구
    (a registry correction); its stores keep their registration's 시군구."""
    market = market_in(haeundae, name="옮긴시장")
    store_in(market)
    return market_update(market=market, region=suyeong)


def test_every_form_of_the_rule_agrees_on_every_program_and_store(
    program, haeundae, suyeong, market_in, store_in, moved_market
):
    markets = [market_in(haeundae), market_in(suyeong), moved_market]
    for market in markets[:2]:
        store_in(market)
    for region in (haeundae, suyeong):
        Store.objects.create(name=f"{region.name} 가게", category="other", region=region)
    regions_choices = [(), (haeundae,), (suyeong,), (haeundae, suyeong)]
    market_choices = [
        combo for size in range(len(markets) + 1)
        for combo in itertools.combinations(markets, size)
    ]
    programs = [
        program(regions=regions, markets=enrolled)
        for regions, enrolled in itertools.product(regions_choices, market_choices)
    ]
    stores = list(Store.objects.select_related("market"))

    for one in programs:
        covered = set(Store.objects.filter(stores_covered_q(program=one)).values_list(
            "pk", flat=True
        ))
        for store in stores:
            expected = program_covers_store(program=one, store=store)
            assert (store.pk in covered) == expected, (one.pk, store.pk)
            assert Program.objects.filter(
                programs_covering_q(store=store), pk=one.pk
            ).exists() == expected, (one.pk, store.pk)


def test_a_store_whose_market_moved_is_in_scope_where_its_market_now_is(
    program, haeundae, suyeong, moved_market, owner_of
):
    # The hall once judged by the store's own registration (해운대구) while applications
    # judged by its market's 시군구 (수영구): the same store was in and out of one program.
    store = Store.objects.select_related("market").get(market=moved_market)
    for_suyeong, for_haeundae = program(regions=(suyeong,)), program(regions=(haeundae,))

    assert hall.hall_store_eligible(program=for_suyeong, store=store)
    assert not hall.hall_store_eligible(program=for_haeundae, store=store)
    owner = owner_of(store)
    applied = {
        one: services.application_submit(
            program=one, store=store, applicant=owner, declared_annual_sales=0
        )
        for one in (for_suyeong, for_haeundae)
    }
    assert applied[for_suyeong].status == Application.Status.APPROVED
    assert applied[for_haeundae].status == Application.Status.REVIEW
    assert [reason["code"] for reason in applied[for_haeundae].reasons] == [
        services.REASON_OUT_OF_SCOPE
    ]


def test_the_hall_lists_by_query_exactly_the_stores_it_accepts_one_by_one(
    program, haeundae, suyeong, market_in, store_in, owner_of, operator_user
):
    one = program(regions=(haeundae,))
    in_scope, out_of_scope = store_in(market_in(haeundae)), store_in(market_in(suyeong))
    approved_outside = store_in(market_in(suyeong))
    application = services.application_submit(
        program=one, store=approved_outside, applicant=owner_of(approved_outside),
        declared_annual_sales=0,
    )
    services.application_approve(application=application, operator_user=operator_user)

    listed = set(hall.hall_stores_eligible(program=one))

    assert listed == {in_scope, approved_outside}
    for store in (in_scope, out_of_scope, approved_outside):
        assert hall.hall_store_eligible(program=one, store=store) == (store in listed)
