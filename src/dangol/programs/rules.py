"""Is a store in a program's scope — the rule in Python and as querysets, side by side, so
that applications, the promotion hall, its console and the merchant home ask one rule.

A program covers a store when the store's 시군구 is among the program's regions or the
store's market is enrolled in the program (at any roll-out step). The store's 시군구 is its
market's when it trades in a market (a market may move to a successor 시군구 after the store
was registered; the market's is the current one), its own on a shopping street without a
market.

`program_covers_store` is the reference for one pair; `stores_covered_q` (the stores a
program covers) and `programs_covering_q` (the programs that cover a store) are the same
rule as filters for lists. tests/programs/test_rules.py runs the three over the same cases.
"""

from django.db.models import Exists, OuterRef, Q

from dangol.places.models import Store
from dangol.programs.models import Enrolment, Program

_ProgramRegion = Program.regions.through


def store_region_id(store: Store) -> str:
    """Return the code (the key) of the 시군구 that places `store`: its market's, else its own."""
    if store.market_id is not None and store.market is not None:
        return store.market.region_id
    return store.region_id


def program_covers_store(*, program: Program, store: Store) -> bool:
    """Return whether `store` is in `program`'s scope: its 시군구 (`store_region_id`) among
    the program's regions, or its market enrolled in the program."""
    if program.regions.filter(pk=store_region_id(store)).exists():
        return True
    return store.market_id is not None and Enrolment.objects.filter(
        program=program, market_id=store.market_id
    ).exists()


def stores_covered_q(*, program: Program) -> Q:
    """Return the filter on Store of the stores in `program`'s scope."""
    in_regions = _ProgramRegion.objects.filter(program=program)
    market_in_region = Q(market__isnull=False) & Exists(
        in_regions.filter(region_id=OuterRef("market__region_id"))
    )
    street_in_region = Q(market__isnull=True) & Exists(
        in_regions.filter(region_id=OuterRef("region_id"))
    )
    enrolled = Exists(Enrolment.objects.filter(program=program, market_id=OuterRef("market_id")))
    return Q(market_in_region | street_in_region | enrolled)


def programs_covering_q(*, store: Store) -> Q:
    """Return the filter on Program of the programs whose scope covers `store`."""
    in_region = Exists(_ProgramRegion.objects.filter(
        program_id=OuterRef("pk"), region_id=store_region_id(store)
    ))
    if store.market_id is None:
        return Q(in_region)
    return Q(in_region) | Q(Exists(
        Enrolment.objects.filter(program_id=OuterRef("pk"), market_id=store.market_id)
    ))
