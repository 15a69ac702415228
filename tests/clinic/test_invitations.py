"""Invitations: the link is shown once, stored hashed, expires within bounds, can be revoked."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.clinic.models import Invitation
from app.db import utcnow
from tests.clinic.conftest import PUBLIC_URL, add_client
from tests.conftest import count, new_staff, snapshot


async def invite(
    client: httpx.AsyncClient, headers: dict[str, str], client_id: str, **body: object
) -> httpx.Response:
    """POST an invitation for a client."""
    body = {"questionnaires": ["window-of-tolerance"], **body}
    return await client.post(f"/v1/clients/{client_id}/invitations", json=body, headers=headers)


async def set_columns(app: FastAPI, invitation_id: str, **values: object) -> None:
    """Change an invitation directly, as the intake form (or the clock) would."""
    async with app.state.sessionmaker.begin() as session:
        await session.execute(
            update(Invitation).where(Invitation.id == uuid.UUID(invitation_id)).values(**values)
        )


async def test_the_link_is_shown_once_and_only_its_hash_is_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers, _, _ = await new_staff(app, "therapist")
    patient = await add_client(client, headers)

    response = await invite(
        client, headers, patient["id"], questionnaires=["connection", "window-of-tolerance"]
    )

    assert response.status_code == 201, response.text
    body = response.json()
    token = body["token"]
    assert token.startswith("ati_")
    assert len(token) > 40
    assert body["url"] == f"{PUBLIC_URL}/intake/{token}"
    assert body["status"] == "pending"
    assert body["show_feedback"] is True
    assert body["questionnaires"] == [
        {"id": "connection", "version": "1.1.0"},
        {"id": "window-of-tolerance", "version": "1.1.0"},
    ]
    expires = datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)
    listed = await client.get(f"/v1/clients/{patient['id']}/invitations", headers=headers)
    assert listed.status_code == 200
    assert token not in listed.text
    (item,) = listed.json()["items"]
    assert "token" not in item
    assert "url" not in item
    assert item["id"] == body["id"]
    rows = (await snapshot(app))["invitations"]
    assert token not in repr(rows)
    assert hashlib.sha256(token.encode()).hexdigest() in repr(rows)


async def test_expiry_must_be_one_to_thirty_days(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers, _, _ = await new_staff(app, "therapist")
    patient = await add_client(client, headers)

    for days in (0, 31, -1):
        response = await invite(client, headers, patient["id"], expires_in_days=days)
        assert response.status_code == 422, days
        assert response.json()["errors"][0]["pointer"] == "#/expires_in_days"
    assert await count(app, "invitations") == 0
    for days in (1, 30):
        response = await invite(
            client, headers, patient["id"], expires_in_days=days, show_feedback=False
        )
        assert response.status_code == 201
        assert response.json()["show_feedback"] is False
        expires = datetime.fromisoformat(response.json()["expires_at"])
        assert abs(expires - (utcnow() + timedelta(days=days))) < timedelta(minutes=1)


async def test_unknown_or_repeated_questionnaires_are_named(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers, _, _ = await new_staff(app, "therapist")
    patient = await add_client(client, headers)

    response = await invite(
        client,
        headers,
        patient["id"],
        questionnaires=["connection", "no-such-thing", "connection"],
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["pointer"] for e in errors] == ["#/questionnaires/1", "#/questionnaires/2"]
    assert "no-such-thing" in errors[0]["detail"]
    empty = await invite(client, headers, patient["id"], questionnaires=[])
    assert empty.status_code == 422
    assert await count(app, "invitations") == 0


async def test_status_follows_use_expiry_and_revocation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers, _, _ = await new_staff(app, "therapist")
    patient = await add_client(client, headers)
    used, expired, revoked, pending = [
        (await invite(client, headers, patient["id"])).json()["id"] for _ in range(4)
    ]
    await set_columns(app, used, used_at=utcnow())
    await set_columns(app, expired, expires_at=utcnow() - timedelta(seconds=1))

    first = await client.post(f"/v1/invitations/{revoked}/revoke", headers=headers)
    again = await client.post(f"/v1/invitations/{revoked}/revoke", headers=headers)
    refused = await client.post(f"/v1/invitations/{used}/revoke", headers=headers)

    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "revoked"
    assert again.json()["revoked_at"] == first.json()["revoked_at"]
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    listed = await client.get(f"/v1/clients/{patient['id']}/invitations", headers=headers)
    statuses = {i["id"]: i["status"] for i in listed.json()["items"]}
    assert statuses == {
        used: "used",
        expired: "expired",
        revoked: "revoked",
        pending: "pending",
    }


async def test_another_therapist_can_neither_invite_list_nor_revoke(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    mine, _, org = await new_staff(app, "therapist")
    colleague, _, _ = await new_staff(app, "therapist", org)
    stranger, _, _ = await new_staff(app, "admin")
    patient = await add_client(client, mine)
    invitation = (await invite(client, mine, patient["id"])).json()
    before = await snapshot(app)

    for headers in (colleague, stranger):
        assert (await invite(client, headers, patient["id"])).status_code == 404
        listed = await client.get(f"/v1/clients/{patient['id']}/invitations", headers=headers)
        assert listed.status_code == 404
        revoke = await client.post(f"/v1/invitations/{invitation['id']}/revoke", headers=headers)
        assert revoke.status_code == 404

    assert await snapshot(app) == before
    admin, _, _ = await new_staff(app, "admin", org)
    revoke = await client.post(f"/v1/invitations/{invitation['id']}/revoke", headers=admin)
    assert revoke.json()["status"] == "revoked"
