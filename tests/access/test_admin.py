"""The admin site: a staff account sees what Django's permissions open, and message prices
(platform-wide) are changed by the platform administrator alone."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from dangol.messaging.models import MessagePrice
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def price():
    return MessagePrice.objects.get(channel="sms")


def change(client, price, value):
    return client.post(
        reverse("admin:messaging_messageprice_change", args=[price.pk]),
        {"channel": price.channel, "price": value},
    )


def test_a_staff_member_with_every_price_permission_still_cannot_change_a_price(client, price):
    staff = StaffUserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(
        content_type__app_label="messaging", codename__endswith="messageprice"
    ))
    client.force_login(staff)

    page = client.get(reverse("admin:messaging_messageprice_change", args=[price.pk]))
    response = change(client, price, 1)

    assert page.status_code == 200  # the view permission still shows it
    assert response.status_code == 403
    price.refresh_from_db()
    assert price.price == 20


def test_the_platform_admin_changes_a_price(client, price):
    client.force_login(StaffUserFactory(is_staff=True, is_superuser=True))

    response = change(client, price, 25)

    assert response.status_code == 302
    price.refresh_from_db()
    assert price.price == 25
