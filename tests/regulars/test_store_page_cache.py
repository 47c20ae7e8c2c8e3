"""The anonymous store page is served from the cache while, and only while, its data is
unchanged; each visitor still gets a working CSRF token."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from dangol.core import clock
from dangol.places.models import Post
from dangol.regulars.services import follow_create
from tests.factories import CustomerFactory, ProductFactory, StoreFactory, StoreMembershipFactory

pytestmark = pytest.mark.django_db


def store_url(store):
    return reverse("regulars:store", args=[store.pk])


def test_second_anonymous_view_costs_one_query(django_assert_num_queries):
    product = ProductFactory(name="고등어 1손", price=12000)
    Client().get(store_url(product.store))
    with django_assert_num_queries(1):
        response = Client().get(store_url(product.store))
    assert "₩12,000" in response.content.decode()


def test_price_change_shows_at_once():
    product = ProductFactory(name="고등어 1손", price=12000)
    assert "₩12,000" in Client().get(store_url(product.store)).content.decode()
    product.price = 9900
    product.save(update_fields=["price", "updated_at"])
    assert "₩9,900" in Client().get(store_url(product.store)).content.decode()


def test_deleted_product_disappears():
    product = ProductFactory(name="생물 갈치")
    ProductFactory(store=product.store, name="고등어")
    assert "생물 갈치" in Client().get(store_url(product.store)).content.decode()
    product.delete()
    assert "생물 갈치" not in Client().get(store_url(product.store)).content.decode()


def test_new_regular_updates_the_count():
    store = StoreFactory()
    assert "단골 0명" in Client().get(store_url(store)).content.decode()
    follow_create(customer=CustomerFactory(), store=store)
    assert "단골 1명" in Client().get(store_url(store)).content.decode()


def test_scheduled_post_appears_when_its_time_comes(frozen_clock):
    store = StoreFactory()
    start = clock.kst(2026, 11, 21, 9, 0)
    frozen_clock(start)
    Post.objects.create(
        store=store, title="오늘 갈치 들어왔어요", body="싱싱합니다",
        published_at=start + dt.timedelta(hours=1),
    )
    assert "오늘 갈치" not in Client().get(store_url(store)).content.decode()
    frozen_clock(start + dt.timedelta(hours=1))
    assert "오늘 갈치" in Client().get(store_url(store)).content.decode()


def test_closed_store_is_not_served_from_the_cache():
    store = StoreFactory()
    assert Client().get(store_url(store)).status_code == 200
    store.is_active = False
    store.save(update_fields=["is_active", "updated_at"])
    assert Client().get(store_url(store)).status_code == 404


def test_each_visitor_gets_a_working_csrf_token_from_the_cached_page():
    store = StoreFactory()
    tokens = []
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        html = visitor.get(store_url(store)).content.decode()
        assert "__dangol_csrf_token__" not in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        tokens.append(token)
        switched = visitor.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": token})
        assert switched.status_code == 302
    assert tokens[0] != tokens[1]


def test_cached_page_follows_the_language():
    store = StoreFactory()
    korean = Client().get(store_url(store)).content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(store_url(store)).content.decode()
    assert 'lang="ko"' in korean
    assert 'lang="en"' in english


def test_signed_in_members_see_a_fresh_page_with_their_name():
    membership = StoreMembershipFactory(user__name="김사장")
    client = Client()
    client.force_login(membership.user)
    Client().get(store_url(membership.store))  # warm the anonymous cache
    html = client.get(store_url(membership.store)).content.decode()
    assert "김사장" in html
