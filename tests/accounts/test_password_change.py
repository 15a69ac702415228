"""POST /v1/auth/password: staff change their own password; other sessions end."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from tests.accounts.staff import PASSWORD, bearer, login, new_user
from tests.conftest import snapshot

EMAIL = "therapist@clinic.test"
NEW = "a new and longer passphrase"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Three wrong passwords per account and address."""
    return Settings(database_url=database_url, environment="test", login_failures_limit="3/minute")


async def change(
    client: httpx.AsyncClient, auth: dict[str, str], current: str, new: str = NEW
) -> httpx.Response:
    """POST the change."""
    body = {"current_password": current, "new_password": new}
    return await client.post("/v1/auth/password", json=body, headers=auth)


async def test_a_change_takes_the_new_password_and_ends_other_sessions(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_user(app, EMAIL, role="therapist")
    this, other = await bearer(client, EMAIL), await bearer(client, EMAIL)
    response = await change(client, this, PASSWORD)
    assert response.status_code == 204, response.text
    assert (await client.get("/v1/auth/me", headers=this)).status_code == 200
    assert (await client.get("/v1/auth/me", headers=other)).status_code == 401
    assert (await login(client, EMAIL, PASSWORD)).status_code == 401
    assert (await login(client, EMAIL, NEW)).status_code == 200


async def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failure(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_user(app, EMAIL, role="therapist")
    auth = await bearer(client, EMAIL)
    before = await snapshot(app)
    for _ in range(3):
        wrong = await change(client, auth, "not my password")
        assert wrong.status_code == 422
        assert [e["pointer"] for e in wrong.json()["errors"]] == ["#/current_password"]
    assert await snapshot(app) == before
    refused = await change(client, auth, PASSWORD)  # the limit of wrong passwords is reached
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert (await login(client, EMAIL, PASSWORD)).status_code == 429


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"current_password": PASSWORD, "new_password": "short"}, "#/new_password"),
        ({"current_password": "", "new_password": NEW}, "#/current_password"),
        ({"new_password": NEW}, "#/current_password"),
    ],
)
async def test_a_bad_body_is_a_422_naming_the_field(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, str], pointer: str
) -> None:
    await new_user(app, EMAIL, role="therapist")
    auth = await bearer(client, EMAIL)
    response = await client.post("/v1/auth/password", json=body, headers=auth)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]


async def test_it_needs_a_staff_token(client: httpx.AsyncClient) -> None:
    response = await change(client, {}, PASSWORD)
    assert response.status_code == 401
