"""A price change is a money action: it leaves an audit entry with the old and new price,
also when a price is deleted (back to its default)."""

import pytest
from django.urls import reverse

from dangol.audit.models import AuditEntry
from dangol.messaging.credit import message_price_reset, message_price_set, message_prices
from dangol.messaging.models import MessagePrice
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_setting_a_price_records_who_changed_it_from_what_to_what():
    admin = StaffUserFactory(is_superuser=True)

    message_price_set(channel="sms", price=25, actor=admin)

    assert MessagePrice.objects.get(channel="sms").price == 25
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.subject, entry.amount, entry.details) == (
        AuditEntry.Action.PRICE_CHANGE, admin, "message_price:sms", 25, {"before": 20},
    )


def test_a_price_changed_in_the_admin_is_recorded_with_the_clients_address(client):
    admin = StaffUserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    price = MessagePrice.objects.get(channel="lms")

    response = client.post(
        reverse("admin:messaging_messageprice_change", args=[price.pk]),
        {"channel": "lms", "price": 45}, REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.subject, entry.amount, entry.client_address) == (
        admin, "message_price:lms", 45, "198.51.100.7",
    )


def test_resetting_a_price_to_its_default_records_who_and_from_what():
    admin = StaffUserFactory(is_superuser=True)
    message_price_set(channel="sms", price=25, actor=admin)

    message_price_reset(channel="sms", actor=admin)
    message_price_reset(channel="sms", actor=admin)  # no row left: nothing to record

    assert not MessagePrice.objects.filter(channel="sms").exists()
    assert message_prices()["sms"] == 20
    entry = AuditEntry.objects.order_by("id").last()
    assert (entry.action, entry.actor, entry.subject, entry.amount, entry.details) == (
        AuditEntry.Action.PRICE_CHANGE, admin, "message_price:sms", 20,
        {"before": 25, "reset": True},
    )
    assert AuditEntry.objects.count() == 2


def test_a_price_deleted_in_the_admin_is_recorded(client):
    admin = StaffUserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    price = MessagePrice.objects.get(channel="lms")

    response = client.post(
        reverse("admin:messaging_messageprice_delete", args=[price.pk]), {"post": "yes"},
        REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 302
    assert not MessagePrice.objects.filter(channel="lms").exists()
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.subject, entry.amount, entry.client_address) == (
        admin, "message_price:lms", 50, "198.51.100.7",
    )
    assert entry.details["reset"] is True


def test_prices_deleted_in_bulk_in_the_admin_are_recorded_one_each(client):
    admin = StaffUserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    ids = list(MessagePrice.objects.filter(channel__in=["sms", "lms"]).values_list("pk", flat=True))

    client.post(reverse("admin:messaging_messageprice_changelist"), {
        "action": "delete_selected", "_selected_action": ids, "post": "yes",
    })

    assert set(AuditEntry.objects.values_list("subject", flat=True)) == {
        "message_price:sms", "message_price:lms",
    }
