import pytest
from django.urls import reverse

from dangol.core import clock
from dangol.regulars.services import follow_create
from tests.factories import CustomerFactory, StoreMembershipFactory

pytestmark = pytest.mark.django_db


def test_merchant_home_counts_today_s_new_regulars(client, frozen_clock):
    frozen_clock(clock.now())  # "today" must not end between the follow and the count
    membership = StoreMembershipFactory()
    client.force_login(membership.user)
    before = client.get(reverse("web:merchant")).content.decode()
    assert 'data-stat="new-regulars">0<' in before
    follow_create(customer=CustomerFactory(), store=membership.store)
    after = client.get(reverse("web:merchant")).content.decode()
    assert 'data-stat="new-regulars">1<' in after
    assert membership.store.name in after
    assert reverse("coupons:merchant_redeem", args=[membership.store.pk]) in after


def test_customers_without_stores_cannot_open_the_merchant_home(client):
    client.force_login(CustomerFactory())
    assert client.get(reverse("web:merchant")).status_code == 403


def test_merchant_home_needs_sign_in(client):
    response = client.get(reverse("web:merchant"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_home_links_customers_to_their_wallet(client):
    client.force_login(CustomerFactory())
    html = client.get(reverse("web:home")).content.decode()
    assert reverse("coupons:wallet") in html
    assert reverse("regulars:my_consents") in html
