"""PostgreSQL: concurrent redemptions and stamps, each thread on its own connection."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from dangol.core.errors import DangolError
from dangol.coupons import errors, services, stamps
from dangol.coupons.models import Coupon, Stamp
from tests.concurrency import many_connections
from tests.coupons.utils import NOW, make_program, make_template
from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


@pytest.fixture(autouse=True)
def _at_now(frozen_clock):
    # The templates are valid around NOW; the threads read the same module-level clock.
    frozen_clock(NOW)


def run_concurrently(action: Callable[[], object]) -> tuple[int, list[DangolError]]:
    """Run `action` in THREADS threads released together; return successes and refusals."""
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()
    successes: list[object] = []
    refusals: list[DangolError] = []
    crashes: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            result = action()
        except DangolError as exc:
            with lock:
                refusals.append(exc)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            with lock:
                crashes.append(exc)
        else:
            with lock:
                successes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    with many_connections():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not crashes, crashes
    return len(successes), refusals


def test_fifty_concurrent_redemptions_of_one_coupon_give_exactly_one_success():
    store, staff = StoreFactory(), StaffUserFactory()
    coupon = services.coupon_claim(template=make_template(store), customer=CustomerFactory())

    successes, refusals = run_concurrently(
        lambda: services.coupon_redeem(store=store, staff=staff, code=coupon.code,
                                       purchase_amount=12_000)
    )

    assert successes == 1
    assert len(refusals) == THREADS - 1
    assert all(isinstance(exc, errors.CouponAlreadyUsed) for exc in refusals)
    assert Coupon.objects.get(pk=coupon.pk).status == Coupon.Status.REDEEMED


def test_fifty_concurrent_stamps_past_the_daily_limit_give_exactly_the_limit():
    store, staff, customer = StoreFactory(), StaffUserFactory(), CustomerFactory()
    make_program(store, stamps_required=4, per_visit_limit=1, per_day_limit=7)

    successes, refusals = run_concurrently(
        lambda: stamps.stamp_give(store=store, staff=staff, customer=customer)
    )

    assert successes == 7
    assert all(isinstance(exc, errors.StampDayLimit) for exc in refusals)
    assert sum(Stamp.objects.values_list("count", flat=True)) == 7
    assert Coupon.objects.filter(customer=customer, source=Coupon.Source.STAMP).count() == 1


def test_concurrent_claims_never_exceed_the_total_quantity():
    store = StoreFactory()
    template = make_template(store, total_quantity=10)
    customers = [CustomerFactory() for _ in range(THREADS)]
    index = iter(range(THREADS))
    index_lock = threading.Lock()

    def claim() -> Coupon:
        with index_lock:
            customer = customers[next(index)]
        return services.coupon_claim(template=template, customer=customer)

    successes, refusals = run_concurrently(claim)

    assert successes == 10
    assert all(isinstance(exc, errors.CouponSoldOut) for exc in refusals)
    assert Coupon.objects.filter(template=template).count() == 10
