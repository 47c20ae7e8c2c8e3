"""The regulars API: customers follow and consent; merchants and POS tokens list regulars."""

import pytest

from dangol.accounts.services import api_token_create
from dangol.regulars import services
from dangol.regulars.models import Consent, Follow
from tests.factories import CustomerFactory, MarketFactory, StaffUserFactory, StoreFactory

pytestmark = pytest.mark.django_db


def _bearer(user, scope=""):
    _token, secret = api_token_create(user=user, name="포스", scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_follow_and_unfollow_a_store_with_the_session(client, noon, customer, store):
    client.force_login(customer)
    response = client.put(
        f"/api/stores/{store.pk}/follow", {"ad": True}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["sender"] == {"kind": "store", "id": store.pk, "name": "바다수산"}
    consent = Consent.objects.get()
    assert consent.ad_active and consent.method == Consent.Method.API
    assert client.delete(f"/api/stores/{store.pk}/follow").status_code == 204
    assert not Follow.objects.exists()


def test_follow_a_market_channel_with_a_token(client, noon, customer):
    market = MarketFactory()
    headers = _bearer(customer)
    response = client.put(
        f"/api/markets/{market.pk}/follow", {}, content_type="application/json", **headers
    )
    assert response.status_code == 200
    assert client.get("/api/me/follows", **headers).json()["count"] == 1


def test_night_without_ad_is_refused_with_400(client, noon, customer, store):
    client.force_login(customer)
    response = client.put(
        f"/api/stores/{store.pk}/follow", {"night": True}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "night_needs_ad_consent"


def test_grant_and_withdraw_consent(client, noon, customer, store):
    client.force_login(customer)
    body = client.post(
        f"/api/stores/{store.pk}/consent", {"night": True}, content_type="application/json"
    ).json()
    assert body["ad"] and body["night"] and body["text_version"] == "ad-2026-11"
    body = client.post(
        f"/api/stores/{store.pk}/consent/withdraw", {"night_only": True},
        content_type="application/json",
    ).json()
    assert body["ad"] and not body["night"]
    body = client.post(
        f"/api/stores/{store.pk}/consent/withdraw", {}, content_type="application/json"
    ).json()
    assert not body["ad"]
    assert not client.get(f"/api/stores/{store.pk}/consent").json()["ad"]


def test_follow_needs_authentication(client, store):
    response = client.put(f"/api/stores/{store.pk}/follow", {}, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize("size", [1, 10])
def test_regulars_list_masks_numbers_in_constant_queries(client, noon, store, owner,
                                                         django_assert_num_queries, size):
    tag = services.tag_create(store=store, name="배달")
    for customer in CustomerFactory.create_batch(size):
        follow = services.follow_join(customer=customer, store=store, ad=True)
        services.follow_tags_set(store=store, follow_id=follow.pk, tag_ids=[tag.pk])
    headers = _bearer(owner)
    # token with its user, store, membership, count, rows, tags (the token's last use is
    # written after the request's transaction commits, which this test's never does)
    with django_assert_num_queries(6):
        response = client.get(f"/api/stores/{store.pk}/regulars?limit=100", **headers)
    body = response.json()
    assert body["count"] == size
    item = body["items"][0]
    assert item["phone_masked"].startswith("010-****-")
    assert item["ad_consent"] and item["tags"] == ["배달"]


def test_regulars_list_query_count_is_the_same_at_two_sizes(client, noon, store, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = _bearer(owner)
    counts = []
    for size in (1, 10):
        for customer in CustomerFactory.create_batch(size):
            services.follow_join(customer=customer, store=store, ad=True)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/stores/{store.pk}/regulars", **headers).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_counts_endpoint(client, noon, store, owner):
    services.follow_join(customer=CustomerFactory(), store=store, ad=True, night=True)
    services.follow_join(customer=CustomerFactory(), store=store)
    client.force_login(owner)
    assert client.get(f"/api/stores/{store.pk}/regulars/counts").json() == {
        "total": 2, "with_ad_consent": 1, "with_night_consent": 1, "new_today": 2,
    }


def test_store_scoped_token_lists_only_its_store(client, noon, store, owner):
    other = StoreFactory()
    other.memberships.create(user=owner, role="owner")
    headers = _bearer(owner, scope=f"store:{store.pk}")
    assert client.get(f"/api/stores/{store.pk}/regulars", **headers).status_code == 200
    response = client.get(f"/api/stores/{other.pk}/regulars", **headers)
    assert response.status_code == 403
    assert client.get(f"/api/stores/{other.pk}/regulars/counts", **headers).status_code == 403


def test_another_merchant_and_a_customer_get_403(client, noon, customer, store):
    services.follow_create(customer=customer, store=store)
    for user in (StaffUserFactory(), customer):
        client.force_login(user)
        assert client.get(f"/api/stores/{store.pk}/regulars").status_code == 403
