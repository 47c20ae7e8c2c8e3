"""API authentication: anonymous public reads, bearer tokens scoped to their owner, 401s."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dangol.accounts import errors, services
from dangol.accounts.models import ApiToken
from dangol.core import clock
from tests.factories import (
    MarketMembershipFactory,
    StaffUserFactory,
    StoreFactory,
    StoreMembershipFactory,
)

pytestmark = pytest.mark.django_db

INVALID_TOKEN = {
    "code": "invalid_token",
    "message": "API 토큰이 올바르지 않거나 폐기되었습니다.",
}


# The API answers outside any transaction, as in production (no ATOMIC_REQUESTS): tests that
# count its writes run without pytest-django's wrapping transaction.
autocommit = pytest.mark.django_db(transaction=True)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def closed_store():
    """An inactive store with an owner: visible to its people only."""
    store = StoreFactory(name="휴업중인가게", is_active=False)
    StoreMembershipFactory(store=store, role="owner")
    return store


@pytest.fixture
def owner_secret(closed_store):
    owner = closed_store.memberships.get().user
    _token, secret = services.api_token_create(user=owner, name="포스기")
    return secret


def visible_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["items"]]


def test_anonymous_caller_reads_public_places(client, closed_store):
    open_store = StoreFactory(market=closed_store.market)

    response = client.get("/api/stores")

    assert visible_ids(response) == [open_store.pk]


def test_owner_token_sees_the_owners_inactive_store(client, closed_store, owner_secret):
    listing = client.get("/api/stores", headers=bearer(owner_secret))
    detail = client.get(f"/api/stores/{closed_store.pk}", headers=bearer(owner_secret))

    assert closed_store.pk in visible_ids(listing)
    assert detail.status_code == 200
    assert detail.json()["is_active"] is False


def test_another_users_token_does_not_see_the_inactive_store(client, closed_store):
    _token, secret = services.api_token_create(user=StaffUserFactory(), name="남의 토큰")

    listing = client.get("/api/stores", headers=bearer(secret))
    detail = client.get(f"/api/stores/{closed_store.pk}", headers=bearer(secret))

    assert closed_store.pk not in visible_ids(listing)
    assert detail.status_code == 404


def test_market_association_token_sees_inactive_stores_of_its_market(client, closed_store):
    association = MarketMembershipFactory(market=closed_store.market, role="association")
    _token, secret = services.api_token_create(user=association.user, name="상인회")

    response = client.get("/api/stores", headers=bearer(secret))

    assert closed_store.pk in visible_ids(response)


def test_session_of_the_owner_sees_the_inactive_store(client, closed_store):
    client.force_login(closed_store.memberships.get().user)

    response = client.get(f"/api/stores/{closed_store.pk}")

    assert response.status_code == 200


def test_unknown_token_is_401_not_anonymous(client):
    StoreFactory()

    response = client.get("/api/stores", headers=bearer("not-a-real-token"))

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_revoked_token_is_401(client, owner_secret):
    token = ApiToken.objects.get(digest=ApiToken.digest_of(owner_secret))
    services.api_token_revoke(token=token)

    response = client.get("/api/markets", headers=bearer(owner_secret))

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_token_of_deactivated_user_is_401(client, closed_store, owner_secret):
    owner = closed_store.memberships.get().user
    owner.is_active = False
    owner.save(update_fields=["is_active"])

    response = client.get("/api/regions", headers=bearer(owner_secret))

    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer   ", "Token abc", "Basic dXNlcjpwdw=="])
def test_authorization_header_that_is_not_a_bearer_token_is_401(client, header):
    response = client.get("/api/regions", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_bad_token_is_401_even_with_a_valid_session(client, closed_store):
    client.force_login(closed_store.memberships.get().user)

    response = client.get(f"/api/stores/{closed_store.pk}", headers=bearer("wrong"))

    assert response.status_code == 401


@autocommit
def test_using_a_token_records_when_it_was_last_used(client, owner_secret):
    client.get("/api/regions", headers=bearer(owner_secret))

    token = ApiToken.objects.get(digest=ApiToken.digest_of(owner_secret))
    assert token.last_used_at is not None


def token_writes(queries) -> list[str]:
    return [
        q["sql"] for q in queries
        if q["sql"].lstrip().upper().startswith("UPDATE") and "accounts_apitoken" in q["sql"]
    ]


@autocommit
def test_two_token_reads_in_a_row_write_last_used_at_once(client, owner_secret, frozen_clock):
    frozen_clock(clock.kst(2026, 11, 21, 14, 0))

    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/regions", headers=bearer(owner_secret)).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get("/api/regions", headers=bearer(owner_secret)).status_code == 200

    assert len(token_writes(first.captured_queries)) == 1
    assert token_writes(second.captured_queries) == []


@autocommit
def test_last_used_at_is_recorded_again_once_it_is_five_minutes_old(
    client, owner_secret, frozen_clock
):
    start = clock.kst(2026, 11, 21, 14, 0)
    frozen_clock(start)
    client.get("/api/regions", headers=bearer(owner_secret))
    frozen_clock(start + dt.timedelta(minutes=4, seconds=59))
    client.get("/api/regions", headers=bearer(owner_secret))
    token = ApiToken.objects.get(digest=ApiToken.digest_of(owner_secret))
    assert token.last_used_at == start

    frozen_clock(start + dt.timedelta(minutes=5, seconds=1))
    with CaptureQueriesContext(connection) as later:
        client.get("/api/regions", headers=bearer(owner_secret))

    assert len(token_writes(later.captured_queries)) == 1
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(minutes=5, seconds=1)


@autocommit
def test_last_used_at_is_written_outside_the_callers_transaction(owner_secret):
    with transaction.atomic():
        services.api_token_lookup(secret=owner_secret)
        token = ApiToken.objects.get(digest=ApiToken.digest_of(owner_secret))
        # Deferred to the commit: the caller's transaction does not take the write lock for it.
        assert token.last_used_at is None
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_is_stored_as_digest_with_its_prefix(closed_store):
    owner = closed_store.memberships.get().user

    token, secret = services.api_token_create(user=owner, name="  포스기  ")

    assert token.name == "포스기"
    assert token.prefix == secret[:8]
    assert token.digest == ApiToken.digest_of(secret)
    assert secret not in {token.name, token.prefix, token.digest}
    assert len(secret) >= 40
    assert not secret.startswith("-")


def test_token_create_refuses_a_blank_name(closed_store):
    owner = closed_store.memberships.get().user

    with pytest.raises(errors.InvalidTokenName):
        services.api_token_create(user=owner, name="   ")

    assert not ApiToken.objects.exists()


def test_revoking_twice_keeps_the_first_time(owner_secret):
    token = ApiToken.objects.get(digest=ApiToken.digest_of(owner_secret))
    services.api_token_revoke(token=token)
    first = token.revoked_at

    services.api_token_revoke(token=token)

    token.refresh_from_db()
    assert token.revoked_at == first


@autocommit
def test_token_auth_adds_a_constant_number_of_queries(
    client, django_assert_num_queries, closed_store, owner_secret
):
    for _ in range(10):
        StoreFactory(market=closed_store.market)

    # token lookup + last-used update (the first use), then count + page + products.
    with django_assert_num_queries(5):
        response = client.get("/api/stores", headers=bearer(owner_secret))

    assert len(response.json()["items"]) == 11
