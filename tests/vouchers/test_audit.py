"""Voucher money actions leave an audit entry: who redeemed what, once per redemption; who
refunded how much of which voucher, once per refund paid."""

import pytest
from django.urls import reverse

from dangol.audit.models import AuditEntry
from dangol.payments.errors import PaymentRejected
from dangol.vouchers import services
from dangol.vouchers.errors import InsufficientBalance, RefundFailed
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


def test_a_refund_records_who_took_how_much_of_which_voucher_once(sale):
    _store, voucher = sale
    buyer = voucher.buyer

    refund = services.voucher_refund(voucher=voucher, idempotency_key="r-1", actor=buyer)
    services.voucher_refund(voucher=voucher, idempotency_key="r-1", actor=buyer)

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.subject, entry.amount) == (
        AuditEntry.Action.VOUCHER_REFUND, buyer, f"voucher:{voucher.pk}", refund.amount,
    )
    assert entry.details == {"refund": refund.pk, "rule": refund.rule,
                             "balance": refund.balance}


def test_a_refund_the_provider_refuses_records_nothing(sale, monkeypatch):
    _store, voucher = sale

    def refuse(**kwargs):
        raise PaymentRejected(provider_code="REJECTED", message="거절")

    monkeypatch.setattr(services, "payment_refund", refuse)
    with pytest.raises(RefundFailed):
        services.voucher_refund(voucher=voucher, idempotency_key="r-1", actor=voucher.buyer)

    assert not AuditEntry.objects.exists()


def test_a_refund_through_the_page_is_recorded_as_the_holders(client, sale):
    _store, voucher = sale
    client.force_login(voucher.buyer)

    client.post(reverse("vouchers:detail", args=[voucher.pk]),
                {"action": "refund", "confirm": "1"})

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor) == (AuditEntry.Action.VOUCHER_REFUND, voucher.buyer)
