"""What the schema fuzzer found: bodies are strict, forms declare what they need, OPTIONS and
405 name every method, and new respondents are limited per address."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from tests.conftest import count, new_staff


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Three new respondents per address and hour, so the limit is quick to reach."""
    return Settings(
        database_url=database_url, environment="test", respondent_creation_limit="3/hour"
    )


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"research_consent": 0}, "#/research_consent"),
        ({"research_consent": 1}, "#/research_consent"),
        ({"research_consent": "true"}, "#/research_consent"),
        ({"locale": 3}, "#/locale"),
    ],
)
async def test_a_body_gets_no_type_coercion(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, object], pointer: str
) -> None:
    response = await client.post("/v1/respondents", json=body)
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]
    assert await count(app, "respondents") == 0


async def test_numbers_as_strings_are_refused_but_ids_and_times_are_strings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin, _, _ = await new_staff(app, "admin")
    client_id = (await client.post("/v1/clients", json={"label": "A"}, headers=admin)).json()["id"]
    path = f"/v1/clients/{client_id}/invitations"
    base = {"questionnaires": ["connection"]}
    for wrong, pointer in (
        ({"expires_in_days": "3"}, "#/expires_in_days"),
        ({"show_feedback": 0}, "#/show_feedback"),
    ):
        response = await client.post(path, json=base | wrong, headers=admin)
        assert response.status_code == 422, response.text
        assert [e["pointer"] for e in response.json()["errors"]] == [pointer]
    assert await count(app, "invitations") == 0
    made = await client.post(path, json=base | {"expires_in_days": 3}, headers=admin)
    assert made.status_code == 201, made.text
    # Query parameters are text by nature and still parse.
    assert (await client.get("/v1/clients?limit=5", headers=admin)).status_code == 200


@pytest.mark.parametrize("empty", ["username", "password"])
async def test_an_empty_login_field_is_the_422_the_schema_declares(
    client: httpx.AsyncClient, empty: str
) -> None:
    form = {"username": "sam@clinic.test", "password": "correct horse battery"} | {empty: ""}
    response = await client.post("/v1/auth/token", data=form)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == [f"#/{empty}"]
    schema = (await client.get("/openapi.json")).json()
    form_schema = schema["components"]["schemas"]["StaffLogin"]
    assert form_schema["properties"][empty]["minLength"] == 1


async def test_options_and_405_list_every_method_of_a_path(client: httpx.AsyncClient) -> None:
    for method in ("OPTIONS", "DELETE"):
        response = await client.request(method, "/v1/clients")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        assert response.headers["content-type"] == "application/problem+json"


async def test_new_respondents_are_limited_per_address(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for _ in range(3):
        assert (await client.post("/v1/respondents", json={})).status_code == 201
    refused = await client.post("/v1/respondents", json={})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert await count(app, "respondents") == 3
    transport = httpx.ASGITransport(app=app, client=("2001:db8:9::1", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as other:
        assert (await other.post("/v1/respondents", json={})).status_code == 201
