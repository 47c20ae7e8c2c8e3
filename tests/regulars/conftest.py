import pytest

from dangol.core.clock import kst
from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory, StoreMembershipFactory


@pytest.fixture
def noon(frozen_clock):
    """Freeze the clock at 2026-11-21 12:00 KST (daytime) and return that instant."""
    moment = kst(2026, 11, 21, 12, 0)
    frozen_clock(moment)
    return moment


STORE_JOINED = kst(2024, 1, 2, 9, 0)  # before every paper consent the tests import


@pytest.fixture
def store():
    return StoreFactory(name="바다수산", created_at=STORE_JOINED)


@pytest.fixture
def owner(store):
    return StoreMembershipFactory(store=store, user=StaffUserFactory(name="김사장")).user


@pytest.fixture
def customer():
    return CustomerFactory(name="이단골")
