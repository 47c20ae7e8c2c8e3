"""PostgreSQL: concurrent redemptions of one voucher, each thread on its own connection."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from dangol.core.errors import DangolError
from dangol.ledger.selectors import ledger_verify
from dangol.vouchers import services
from dangol.vouchers.errors import InsufficientBalance
from dangol.vouchers.models import Redemption, Voucher
from dangol.vouchers.selectors import voucher_account
from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory
from tests.vouchers.conftest import buy, make_product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


def run_concurrently(action: Callable[[int], object]) -> tuple[int, list[DangolError]]:
    """Run `action(i)` in THREADS threads released together; return successes and refusals."""
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()
    successes: list[object] = []
    refusals: list[DangolError] = []
    crashes: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            result = action(index)
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

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not crashes, crashes
    return len(successes), refusals


def test_fifty_concurrent_redemptions_against_ten_thousand_give_exactly_ten():
    store, staff = StoreFactory(), StaffUserFactory()
    voucher = buy(make_product(store, face_value=10_000, sale_price=10_000), CustomerFactory())

    successes, refusals = run_concurrently(
        lambda i: services.voucher_redeem(
            voucher=Voucher.objects.get(pk=voucher.pk), store=store, amount=1_000, staff=staff,
            idempotency_key=f"pos-{i}",
        )
    )

    assert successes == 10
    assert len(refusals) == THREADS - 10
    assert all(isinstance(exc, InsufficientBalance) for exc in refusals)
    voucher.refresh_from_db()
    assert voucher.balance == voucher_account(voucher=voucher).balance == 0
    assert voucher.status == Voucher.Status.USED
    assert Redemption.objects.filter(voucher=voucher).count() == 10
    assert ledger_verify().ok
