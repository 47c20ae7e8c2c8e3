"""The OpenAPI document and the interactive docs."""

import pytest
from openapi_spec_validator import validate

from dangol.core.api import MAX_LIMIT

PUBLIC_READS = [
    "/api/regions", "/api/regions/{code}", "/api/markets", "/api/markets/{market_id}",
    "/api/stores", "/api/stores/{store_id}",
]


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_document_is_valid(document):
    validate(document)


def test_openapi_lists_the_place_reads(document):
    assert set(PUBLIC_READS) <= set(document["paths"])


def test_openapi_declares_bearer_tokens(document):
    assert document["components"]["securitySchemes"]["ApiTokenAuth"] == {
        "type": "http", "scheme": "bearer",
    }


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_public_reads_declare_authentication_optional(document, path):
    security = document["paths"][path]["get"]["security"]

    assert {"ApiTokenAuth": []} in security
    assert {} in security


def test_list_limit_is_bounded_in_the_document(document):
    parameters = document["paths"]["/api/stores"]["get"]["parameters"]
    [limit] = [p for p in parameters if p["name"] == "limit"]

    assert limit["schema"]["maximum"] == MAX_LIMIT


def test_docs_page_answers(client):
    response = client.get("/api/docs")

    assert response.status_code == 200


def test_docs_page_loads_no_assets_from_the_internet(client):
    response = client.get("/api/docs")

    assert b'src="http' not in response.content
    assert b'href="http' not in response.content
