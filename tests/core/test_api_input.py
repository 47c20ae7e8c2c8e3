"""Input the API refuses before it reaches a service or the database: out-of-range paging,
NUL bytes, malformed JSON and datetimes that cannot be converted. Each is a 4xx, never a 500."""

import pytest

from dangol.core.api import MAX_OFFSET
from tests.factories import MarketFactory, StoreFactory


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

