"""Input the API refuses before it reaches a service or the database: out-of-range paging,
NUL bytes, malformed JSON and datetimes that cannot be converted. Each is a 4xx, never a 500."""

import json

import pytest

from dangol.accounts.services import api_token_create
from dangol.core.api import MAX_OFFSET
from dangol.regulars.models import Consent
from tests.factories import CustomerFactory, MarketFactory, StoreFactory, StoreMembershipFactory

JSON = "application/json"


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json()


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [2**63, 2**63 - 1, 2**64, MAX_OFFSET + 1])
def test_list_offset_beyond_the_bound_is_refused(client, offset):
    StoreFactory()

    response = client.get("/api/stores", {"offset": offset})

    assert response.status_code == 422


@pytest.mark.django_db
def test_list_offset_at_the_bound_answers_an_empty_page(client):
    MarketFactory()

    response = client.get("/api/markets", {"offset": MAX_OFFSET})

    assert response.status_code == 200
    assert response.json()["items"] == []


def test_every_paginated_operation_bounds_its_offset(document):
    offsets = [
        parameter
        for path in document["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "offset"
    ]

    assert len(offsets) >= 16
    assert all(each["schema"].get("maximum") == MAX_OFFSET for each in offsets)


def _bearer(user):
    _token, secret = api_token_create(user=user, name="시험", scope="")
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.django_db
def test_nul_byte_in_a_query_is_refused(client):
    StoreFactory(name="반송수산")

    response = client.get("/api/stores", {"q": "반송\x00수산"})

    assert response.status_code == 422
    assert response.json()["code"] == "input_invalid_character"


@pytest.mark.django_db
def test_nul_byte_in_a_path_is_refused(client):
    response = client.get("/api/regions/11%00")

    assert response.status_code in (404, 422)


@pytest.mark.django_db
def test_nul_byte_in_a_body_is_refused_and_changes_nothing(client):
    store = StoreFactory()
    customer = CustomerFactory()
    body = json.dumps({"night": False, "note": "a\x00b"})

    response = client.post(
        f"/api/stores/{store.pk}/consent", body, content_type=JSON, headers=_bearer(customer)
    )

    assert response.status_code == 422
    assert response.json()["code"] == "input_invalid_character"
    assert not Consent.objects.filter(customer=customer).exists()


@pytest.mark.django_db
def test_stamp_phone_with_a_nul_byte_never_reaches_the_database(client):
    store = StoreFactory()
    owner = StoreMembershipFactory(store=store).user
    body = json.dumps({"phone": "010\x0012345678"})

    response = client.post(
        f"/api/stores/{store.pk}/stamps", body, content_type=JSON,
        headers={**_bearer(owner), "Idempotency-Key": "nul-1"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "input_invalid_character"


@pytest.mark.django_db
def test_unterminated_string_over_128_kb_is_a_clear_400(client):
    store = StoreFactory()
    customer = CustomerFactory()
    body = '{"night": "' + "가" * (128 * 1024)

    response = client.post(
        f"/api/stores/{store.pk}/consent", body, content_type=JSON, headers=_bearer(customer)
    )

    assert response.status_code == 400
    assert response.json()["code"] == "input_malformed_json"
    assert not Consent.objects.filter(customer=customer).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("scheduled_at", [
    "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00",
])
def test_datetime_that_cannot_be_converted_is_refused(client, scheduled_at):
    store = StoreFactory()
    owner = StoreMembershipFactory(store=store).user
    body = json.dumps({"body": "고등어 할인", "scheduled_at": scheduled_at})

    response = client.post(
        f"/api/stores/{store.pk}/campaigns/check", body, content_type=JSON,
        headers=_bearer(owner),
    )

    assert response.status_code == 422
    assert response.json()["code"] == "input_datetime_out_of_range"
