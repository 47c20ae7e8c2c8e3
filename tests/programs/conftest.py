"""Shared fixtures of the programs tests (issue 6): an operator organisation and its user,
해운대구, markets and stores in it with their owners, and an open program for 해운대구.

`program(...)` makes an open program through the services: ₩300,000 of message credit per
merchant, 10 settlement cycles a month and fast settlement without fee, with a budget of
₩3,000,000 (ten merchants) drawn from the operator's external account unless a fund is given.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from dangol.core import clock
from dangol.places.models import Market, Region, Store
from dangol.programs.models import Benefit, Program
from tests.factories import (
    MarketFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    SigunguFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)

MESSAGE_CREDIT = 300_000
DEFAULT_BUDGET = 3_000_000


def test_benefits() -> list[dict[str, Any]]:
    """Return the benefits of the fixture program: credit, 10 cycles, fast settlement."""
    return [
        {"kind": Benefit.Kind.MESSAGE_CREDIT, "amount": MESSAGE_CREDIT},
        {"kind": Benefit.Kind.SETTLEMENT_UPGRADE, "cycles_per_month": 10},
        {"kind": Benefit.Kind.FAST_SETTLEMENT},
    ]


test_benefits.__test__ = False  # type: ignore[attr-defined]  # not a test


@pytest.fixture
def operator_org(db):
    return OrganisationFactory(name="해운대구청", kind="city")


@pytest.fixture
def operator_user(operator_org):
    user = StaffUserFactory(email="operator@haeundae.go.kr", name="해운대 운영자")
    OrganisationMembershipFactory(organisation=operator_org, user=user, role="operator")
    return user


@pytest.fixture
def auditor_user(db):
    ministry = OrganisationFactory(name="중소벤처기업부", kind="ministry")
    user = StaffUserFactory(email="auditor@mss.go.kr", name="감사자")
    OrganisationMembershipFactory(organisation=ministry, user=user, role="auditor")
    return user


@pytest.fixture
def haeundae(db) -> Region:
    """부산광역시 해운대구 (26350) with its 시도 26."""
    return SigunguFactory()


@pytest.fixture
def market_in(db) -> Callable[..., Market]:
    def make(region: Region, **kwargs: Any) -> Market:
        return MarketFactory(region=region, **kwargs)

    return make


@pytest.fixture
def store_in(db) -> Callable[..., Store]:
    """`store_in(market)` makes a store with a valid BRN in `market` (pass brn=… to choose)."""

    def make(market: Market, **kwargs: Any) -> Store:
        return StoreFactory(market=market, region=market.region, **kwargs)

    return make


@pytest.fixture
def owner_of(db) -> Callable[[Store], Any]:
    """`owner_of(store)` makes a user owning `store`."""

    def make(store: Store) -> Any:
        return StoreMembershipFactory(store=store, role="owner").user

    return make


@pytest.fixture
def program(operator_org, operator_user, haeundae) -> Callable[..., Program]:
    """`program(**overrides)` makes an OPEN program for 해운대구 (see the module docstring);
    overrides go to `program_create` (name, budget, fund, regions, markets, benefits, …)."""
    from dangol.programs import services

    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> Program:
        today = clock.today_kst()
        n = next(counter)
        arguments: dict[str, Any] = {
            "name": f"해운대구 상생 사업 {n}",
            "operator": operator_org,
            "starts_on": today - dt.timedelta(days=1),
            "ends_on": today + dt.timedelta(days=90),
            "budget": DEFAULT_BUDGET,
            "fund": None,
            "regions": (haeundae,),
            "markets": (),
            "benefits": test_benefits(),
            "created_by": operator_user,
        }
        arguments.update(overrides)
        created = services.program_create(**arguments)
        return services.program_open(program=created)

    return make
