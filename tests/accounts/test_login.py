"""POST /v1/auth/token, /v1/auth/logout and /v1/auth/me, over HTTP on both databases."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select, update

from app.accounts import passwords, service
from app.accounts.models import User, UserToken
from app.config import Settings
from app.db import utcnow
from app.errors import Unauthorized
from tests.accounts.hashers import CountingHasher, parameters
from tests.accounts.staff import PASSWORD, bearer, login, new_user
from tests.conftest import count, new_staff

EMAIL = "admin@clinic.test"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A small failure limit, so the 429 tests need few attempts."""
    return Settings(
        database_url=database_url,
        environment="test",
        login_failures_limit="3/minute",
        staff_token_hours=2,
    )


async def test_login_returns_a_bearer_token_that_works(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, organization_id = await new_user(app, EMAIL)
    response = await login(client, "  Admin@Clinic.TEST ", PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 2 * 3600
    assert body["access_token"].startswith("ats_")
    assert response.headers["Cache-Control"] == "no-store"
    me = await client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    shown = me.json()
    assert set(shown) == {"id", "organization_id", "email", "role", "is_active"} | {
        "notify_on_flag",
        "locale",
        "created_at",
        "updated_at",
    }
    assert (shown["id"], shown["organization_id"]) == (str(user_id), str(organization_id))
    assert (shown["email"], shown["role"], shown["is_active"]) == (EMAIL, "admin", True)


async def test_unknown_email_and_wrong_password_get_the_same_401(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_user(app, EMAIL)
    wrong_password = await login(client, EMAIL, "not the password")
    unknown_email = await login(client, "nobody@clinic.test", PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["detail"] == service.LOGIN_FAILED
    assert await count(app, "user_tokens") == 0


async def test_deactivated_and_unusable_accounts_get_the_same_401(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, _ = await new_user(app, EMAIL)
    async with app.state.sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == user_id).values(is_active=False))
    unusable_email = "therapist@clinic.test"
    await new_staff(app, "therapist", email=unusable_email)  # its hash is "!unusable"
    deactivated = await login(client, EMAIL, PASSWORD)
    unusable = await login(client, unusable_email, "!unusable")
    unknown = await login(client, "nobody@clinic.test", PASSWORD)
    assert deactivated.status_code == unusable.status_code == 401
    assert deactivated.json() == unusable.json() == unknown.json()


async def test_a_missing_field_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/token", data={"username": EMAIL})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/password"


async def test_too_many_failures_from_one_address_get_429(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_user(app, EMAIL)
    for _ in range(3):
        assert (await login(client, EMAIL, "not the password")).status_code == 401
    refused = await login(client, EMAIL, PASSWORD)  # right, but the address is blocked
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["retry_after"] == int(refused.headers["Retry-After"])
    assert await count(app, "user_tokens") == 0
    elsewhere = httpx.ASGITransport(app=app, client=("192.0.2.7", 4000))
    async with httpx.AsyncClient(transport=elsewhere, base_url="http://attune.test") as other:
        assert (await login(other, EMAIL, PASSWORD)).status_code == 200


async def test_unknown_emails_count_as_failures_too(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await login(client, "nobody@clinic.test", "whatever it is")).status_code == 401
    assert (await login(client, "nobody@clinic.test", "whatever it is")).status_code == 429


async def test_successful_logins_do_not_count(app: FastAPI, client: httpx.AsyncClient) -> None:
    await new_user(app, EMAIL)
    assert (await login(client, EMAIL, "not the password")).status_code == 401
    for _ in range(4):
        assert (await login(client, EMAIL, PASSWORD)).status_code == 200
    assert (await login(client, EMAIL, "not the password")).status_code == 401
    assert (await login(client, EMAIL, PASSWORD)).status_code == 200


async def test_an_expired_token_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    await new_user(app, EMAIL)
    auth = await bearer(client, EMAIL)
    assert (await client.get("/v1/auth/me", headers=auth)).status_code == 200
    async with app.state.sessionmaker.begin() as session:
        await session.execute(update(UserToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = await client.get("/v1/auth/me", headers=auth)
    assert expired.status_code == 401
    assert expired.headers["content-type"] == "application/problem+json"


async def test_logout_revokes_only_the_presented_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_user(app, EMAIL)
    first, second = await bearer(client, EMAIL), await bearer(client, EMAIL)
    assert (await client.post("/v1/auth/logout", headers=first)).status_code == 204
    assert (await client.get("/v1/auth/me", headers=first)).status_code == 401
    assert (await client.post("/v1/auth/logout", headers=first)).status_code == 401
    assert (await client.get("/v1/auth/me", headers=second)).status_code == 200


async def test_me_and_logout_need_a_staff_token(client: httpx.AsyncClient) -> None:
    respondent = await client.post("/v1/respondents", json={})
    auth = {"Authorization": f"Bearer {respondent.json()['token']}"}
    assert (await client.get("/v1/auth/me")).status_code == 401
    assert (await client.get("/v1/auth/me", headers=auth)).status_code == 401
    assert (await client.post("/v1/auth/logout", headers=auth)).status_code == 401


async def test_a_hash_with_old_parameters_is_upgraded_at_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, _ = await new_user(app, EMAIL)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with app.state.sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == user_id).values(password_hash=weak))
    assert (await login(client, EMAIL, PASSWORD)).status_code == 200
    async with app.state.sessionmaker() as session:
        stored = (await session.execute(select(User.password_hash))).scalar_one()
    assert stored != weak
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert (await login(client, EMAIL, PASSWORD)).status_code == 200


async def test_an_unknown_email_costs_as_much_as_a_wrong_password(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    await new_user(app, EMAIL)
    async with app.state.sessionmaker() as session:
        real = (await session.execute(select(User.password_hash))).scalar_one()
    counting = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", counting)

    async def attempt(email: str) -> list[list[str]]:
        counting.verified.clear()
        async with app.state.sessionmaker() as session:
            with pytest.raises(Unauthorized):
                await service.authenticate_password(session, email, "not the password")
        return [parameters(h) for h in counting.verified]

    # One argon2 verification at the stored hash's cost, whether or not the account exists.
    assert await attempt(EMAIL) == [parameters(real)]
    assert await attempt("nobody@clinic.test") == [parameters(real)]
