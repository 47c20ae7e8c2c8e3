"""Voucher money actions leave an audit entry: who redeemed what, once per redemption."""

import pytest

from dangol.audit.models import AuditEntry
from dangol.vouchers import services
from dangol.vouchers.errors import InsufficientBalance
from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory
from tests.vouchers.conftest import buy, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale():
    store = StoreFactory()
    return store, buy(make_product(store), CustomerFactory())


def test_redemption_records_who_redeemed_how_much_of_which_voucher(sale):
    store, voucher = sale
    staff = StaffUserFactory()

    redemption = services.voucher_redeem(
        voucher=voucher, store=store, amount=3_000, staff=staff, idempotency_key="pos-1"
    )

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.subject, entry.amount) == (
        AuditEntry.Action.VOUCHER_REDEEM, staff, f"voucher:{voucher.pk}", 3_000,
    )
    assert entry.details == {"store": store.pk, "redemption": redemption.pk}


def test_a_replayed_redemption_is_recorded_once(sale):
    store, voucher = sale
    staff = StaffUserFactory()
    for _ in range(2):
        services.voucher_redeem(
            voucher=voucher, store=store, amount=3_000, staff=staff, idempotency_key="pos-1"
        )
    assert AuditEntry.objects.count() == 1


def test_a_refused_redemption_records_nothing(sale):
    store, voucher = sale
    with pytest.raises(InsufficientBalance):
        services.voucher_redeem(
            voucher=voucher, store=store, amount=20_000, staff=StaffUserFactory(),
            idempotency_key="pos-1",
        )
    assert not AuditEntry.objects.exists()
