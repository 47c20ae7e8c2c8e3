"""PostgreSQL: concurrent redemptions of one voucher, each thread on its own connection."""

import pytest

from dangol.ledger.models import Account
from dangol.ledger.selectors import ledger_verify
from dangol.vouchers import services
from dangol.vouchers.errors import InsufficientBalance
from dangol.vouchers.models import Redemption, Voucher
from dangol.vouchers.selectors import voucher_account
from tests.concurrency import THREADS, run_concurrently
from tests.factories import CustomerFactory, MarketFactory, StaffUserFactory, StoreFactory
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


def test_concurrent_redemptions_of_a_market_voucher_at_two_stores_debit_what_was_acknowledged():
    # Given a market-wide ₩10,000 voucher accepted at two stores of the market
    market = MarketFactory()
    stores = [StoreFactory(market=market), StoreFactory(market=market)]
    staff = StaffUserFactory()
    product = make_product(stores[0], market=market, face_value=10_000,
                           sale_price=10_000, fee_bp=300)
    voucher = buy(product, CustomerFactory())

    # When 50 counters at the two stores redeem different amounts at once
    def amount(i: int) -> int:
        return 600 + (i % 4) * 100

    results, refusals = run_concurrently(
        lambda i: services.voucher_redeem(
            voucher=Voucher.objects.get(pk=voucher.pk), store=stores[i % 2], amount=amount(i),
            staff=staff, idempotency_key=f"pos-{i}",
        )
    )

    # Then the balance never went below zero and exactly the acknowledged amounts were taken
    acknowledged = [r for r in results if isinstance(r, Redemption)]
    assert len(acknowledged) == len(results) and results
    assert all(isinstance(exc, InsufficientBalance) for exc in refusals)
    assert len(results) + len(refusals) == THREADS
    taken = sum(r.amount for r in acknowledged)
    voucher.refresh_from_db()
    assert voucher.balance == voucher_account(voucher=voucher).balance == 10_000 - taken >= 0
    assert voucher.balance < min(amount(i) for i in range(THREADS))  # nothing left unsold
    rows = Redemption.objects.filter(voucher=voucher)
    assert sorted(rows.values_list("pk", flat=True)) == sorted(r.pk for r in acknowledged)
    for store in stores:
        here = [r for r in acknowledged if r.store_id == store.pk]
        payable = Account.objects.get(owner_type="store", owner_id=store.pk,
                                      kind=Account.Kind.STORE_PAYABLE)
        assert payable.balance == sum(r.amount - r.fee for r in here)
    assert {r.store_id for r in acknowledged} == {store.pk for store in stores}
    assert ledger_verify().ok
