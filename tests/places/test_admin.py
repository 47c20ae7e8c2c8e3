"""The admin's store form reads a BRN (사업자등록번호) with the one parser (core.brn)."""

import pytest
from django.urls import reverse

from dangol.places.models import Store
from tests.factories import StaffUserFactory, StoreFactory

pytestmark = pytest.mark.django_db


def change(client, store, brn):
    data = {
        "market": store.market_id, "region": store.region_id or "", "name": store.name,
        "category": store.category, "phone": store.phone, "hours": store.hours, "brn": brn,
        "sales_band": store.sales_band, "description": store.description, "is_active": "on",
        "products-TOTAL_FORMS": "0", "products-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    }
    return client.post(reverse("admin:places_store_change", args=[store.pk]), data)


def test_admin_stores_a_brn_typed_with_spaces_in_its_one_format(client):
    client.force_login(StaffUserFactory(is_staff=True, is_superuser=True))
    store = StoreFactory(brn=None)

    response = change(client, store, "116 82 00276")

    assert response.status_code == 302, response.content.decode()[:2000]
    store.refresh_from_db()
    assert store.brn == "116-82-00276"


def test_admin_refuses_a_brn_whose_check_digit_is_wrong(client):
    client.force_login(StaffUserFactory(is_staff=True, is_superuser=True))
    store = StoreFactory(brn=None)

    response = change(client, store, "116-82-00277")

    assert response.status_code == 200
    assert "사업자등록번호가 올바르지 않습니다" in response.content.decode()
    store.refresh_from_db()
    assert store.brn is None
    assert Store.objects.filter(brn="116-82-00277").count() == 0
