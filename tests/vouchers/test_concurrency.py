"""PostgreSQL: concurrent redemptions of one voucher, each thread on its own connection."""

import pytest

from dangol.ledger.selectors import ledger_verify
from dangol.vouchers import services
from dangol.vouchers.errors import InsufficientBalance
from dangol.vouchers.models import Redemption, Voucher
from dangol.vouchers.selectors import voucher_account
from tests.concurrency import THREADS, run_concurrently
from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory
from tests.vouchers.conftest import buy, make_product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_concurrent_redemptions_against_ten_thousand_give_exactly_ten():
    store, staff = StoreFactory(), StaffUserFactory()
    voucher = buy(make_product(store, face_value=10_000, sale_price=10_000), CustomerFactory())

    results, refusals = run_concurrently(
        lambda i: services.voucher_redeem(
            voucher=Voucher.objects.get(pk=voucher.pk), store=store, amount=1_000, staff=staff,
            idempotency_key=f"pos-{i}",
        )
    )

    assert len(results) == 10
    assert len(refusals) == THREADS - 10
    assert all(isinstance(exc, InsufficientBalance) for exc in refusals)
    voucher.refresh_from_db()
    assert voucher.balance == voucher_account(voucher=voucher).balance == 0
    assert voucher.status == Voucher.Status.USED
    assert Redemption.objects.filter(voucher=voucher).count() == 10
    assert ledger_verify().ok
