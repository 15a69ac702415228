"""/v1/users: an admin manages the staff of their own organization, and only that."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.models import UserToken
from tests.accounts.staff import PASSWORD, bearer, login, new_user
from tests.conftest import count, new_staff, snapshot

ADMIN = "admin@clinic.test"


async def _admin(app: FastAPI, client: httpx.AsyncClient) -> tuple[dict[str, str], uuid.UUID]:
    """An admin logged in with a password; (Authorization header, organization id)."""
    _, organization_id = await new_user(app, ADMIN)
    return await bearer(client, ADMIN), organization_id


async def _create(
    client: httpx.AsyncClient, auth: dict[str, str], email: str, role: str = "therapist"
) -> httpx.Response:
    body = {"email": email, "password": PASSWORD, "role": role}
    return await client.post("/v1/users", json=body, headers=auth)


async def test_an_admin_adds_users_who_can_then_log_in(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth, organization_id = await _admin(app, client)
    created = await _create(client, auth, " Sam@Clinic.Test", "researcher")
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["email"], body["role"], body["is_active"]) == (
        "sam@clinic.test",
        "researcher",
        True,
    )
    assert body["organization_id"] == str(organization_id)
    assert "password" not in body
    assert "password_hash" not in body
    me = await client.get("/v1/auth/me", headers=await bearer(client, "sam@clinic.test"))
    assert me.json()["id"] == body["id"]


async def test_a_taken_email_is_409_naming_the_field_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth, _ = await _admin(app, client)
    before = await snapshot(app)
    response = await _create(client, auth, "ADMIN@clinic.test")
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"pointer": "#/email", "detail": "This email is already in use."}
    ]
    assert await snapshot(app) == before


async def test_an_email_used_elsewhere_gets_the_same_answer_as_a_new_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth, organization_id = await _admin(app, client)
    await new_user(app, "taken@other.test", role="therapist", password="their own password")
    elsewhere = await _create(client, auth, "taken@other.test")
    fresh = await _create(client, auth, "fresh@clinic.test")
    assert elsewhere.status_code == fresh.status_code == 201, elsewhere.text
    assert set(elsewhere.json()) == set(fresh.json())
    assert elsewhere.json()["organization_id"] == str(organization_id)
    # Each account signs in with its own password; the other organization's is untouched.
    ours = await login(client, "taken@other.test", PASSWORD)
    theirs = await login(client, "taken@other.test", "their own password")
    assert ours.status_code == theirs.status_code == 200
    me = await client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {ours.json()['access_token']}"}
    )
    assert me.json()["id"] == elsewhere.json()["id"]
    again = await _create(client, auth, "taken@other.test")  # in this organization: 409
    assert again.status_code == 409


async def test_a_short_password_or_unknown_role_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth, _ = await _admin(app, client)
    short = await client.post(
        "/v1/users",
        json={"email": "sam@clinic.test", "password": "only eleven", "role": "therapist"},
        headers=auth,
    )
    wrong_role = await client.post(
        "/v1/users",
        json={"email": "sam@clinic.test", "password": PASSWORD, "role": "owner"},
        headers=auth,
    )
    not_an_email = await _create(client, auth, "sam at clinic")
    assert [r.status_code for r in (short, wrong_role, not_an_email)] == [422] * 3
    assert short.json()["errors"][0]["pointer"] == "#/password"
    assert wrong_role.json()["errors"][0]["pointer"] == "#/role"
    assert not_an_email.json()["errors"][0]["pointer"] == "#/email"
    assert await count(app, "users") == 1


async def test_the_list_holds_only_the_admins_organization(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth, organization_id = await _admin(app, client)
    await new_staff(app, "therapist", organization_id, email="zoe@clinic.test")
    await new_staff(app, "admin", email="elsewhere@other.test")
    response = await client.get("/v1/users", headers=auth)
    assert response.status_code == 200
    assert [u["email"] for u in response.json()] == [ADMIN, "zoe@clinic.test"]
    assert all("password_hash" not in u for u in response.json())


async def test_another_organizations_user_is_404_like_a_missing_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth, _ = await _admin(app, client)
    _, stranger, _ = await new_staff(app, "therapist")
    before = await snapshot(app)
    foreign = await client.patch(f"/v1/users/{stranger}", json={"is_active": False}, headers=auth)
    missing = await client.patch(f"/v1/users/{uuid.uuid4()}", json={"role": "admin"}, headers=auth)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json().keys() == missing.json().keys()
    assert (foreign.json()["type"], foreign.json()["title"]) == (
        missing.json()["type"],
        missing.json()["title"],
    )
    assert await snapshot(app) == before


async def test_non_admins_are_403_everywhere(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, organization_id = await new_user(app, ADMIN)
    for role in ("therapist", "researcher"):
        auth, user_id, _ = await new_staff(app, role, organization_id)
        before = await snapshot(app)
        responses = [
            await client.get("/v1/users", headers=auth),
            await _create(client, auth, f"new-{role}@clinic.test"),
            await client.patch(f"/v1/users/{user_id}", json={"role": "admin"}, headers=auth),
            await client.patch(f"/v1/users/{uuid.uuid4()}", json={"role": "admin"}, headers=auth),
        ]
        assert [r.status_code for r in responses] == [403] * 4, role
        assert responses[0].headers["content-type"] == "application/problem+json"
        assert await snapshot(app) == before


async def test_without_a_token_it_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/users")).status_code == 401
    assert (await client.post("/v1/users", json={})).status_code == 401


async def test_an_admin_changes_a_role(app: FastAPI, client: httpx.AsyncClient) -> None:
    auth, organization_id = await _admin(app, client)
    therapist_auth, therapist, _ = await new_staff(app, "therapist", organization_id)
    promoted = await client.patch(f"/v1/users/{therapist}", json={"role": "admin"}, headers=auth)
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin"
    assert (await client.get("/v1/users", headers=therapist_auth)).status_code == 200


async def test_deactivating_logs_the_user_out_for_good(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth, organization_id = await _admin(app, client)
    therapist, _ = await new_user(app, "sam@clinic.test", "therapist", organization_id)
    therapist_auth = await bearer(client, "sam@clinic.test")
    off = await client.patch(f"/v1/users/{therapist}", json={"is_active": False}, headers=auth)
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    assert (await client.get("/v1/auth/me", headers=therapist_auth)).status_code == 401
    assert (await login(client, "sam@clinic.test")).status_code == 401
    on = await client.patch(f"/v1/users/{therapist}", json={"is_active": True}, headers=auth)
    assert on.json()["is_active"] is True
    # Back on: a new login works, the token from before stays revoked.
    assert (await client.get("/v1/auth/me", headers=therapist_auth)).status_code == 401
    assert (await login(client, "sam@clinic.test")).status_code == 200
    async with app.state.sessionmaker() as session:
        revoked = await session.execute(
            select(UserToken.revoked_at).where(UserToken.user_id == therapist)
        )
        assert sorted(r is None for r in revoked.scalars()) == [False, True]


async def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth, _ = await _admin(app, client)
    me = (await client.get("/v1/auth/me", headers=auth)).json()["id"]
    before = await snapshot(app)
    for change in ({"role": "therapist"}, {"is_active": False}):
        refused = await client.patch(f"/v1/users/{me}", json=change, headers=auth)
        assert refused.status_code == 409, change
        assert "last active admin" in refused.json()["detail"]
    assert await snapshot(app) == before
    # A no-op on the last admin is fine.
    same = await client.patch(f"/v1/users/{me}", json={"role": "admin"}, headers=auth)
    assert same.status_code == 200


async def test_with_a_second_admin_one_may_step_down_but_not_both(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth, organization_id = await _admin(app, client)
    other_auth, other, _ = await new_staff(app, "admin", organization_id)
    me = (await client.get("/v1/auth/me", headers=auth)).json()["id"]
    # A deactivated admin does not count as the remaining one.
    _, idle, _ = await new_staff(app, "admin", organization_id)
    assert (
        await client.patch(f"/v1/users/{idle}", json={"is_active": False}, headers=auth)
    ).status_code == 200
    stepped_down = await client.patch(f"/v1/users/{me}", json={"role": "therapist"}, headers=auth)
    assert stepped_down.status_code == 200
    assert (await client.get("/v1/users", headers=auth)).status_code == 403
    refused = await client.patch(
        f"/v1/users/{other}", json={"role": "researcher"}, headers=other_auth
    )
    assert refused.status_code == 409


async def test_an_unknown_field_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    auth, _ = await _admin(app, client)
    me = (await client.get("/v1/auth/me", headers=auth)).json()["id"]
    response = await client.patch(
        f"/v1/users/{me}", json={"password_hash": "x", "role": "admin"}, headers=auth
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/password_hash"
