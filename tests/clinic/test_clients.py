"""Clients: creation, listing, and who may see whom (404 outside the scope, 403 for research)."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from tests.clinic.conftest import add_client
from tests.conftest import count, new_staff


async def test_a_therapist_adds_a_client_with_a_respondent_of_their_own(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers, therapist_id, _ = await new_staff(app, "therapist")
    respondents = await count(app, "respondents")

    created = await add_client(client, headers, "Sam", email=" Sam@Example.org ")

    assert created["label"] == "Sam"
    assert created["email"] == "sam@example.org"
    assert created["therapist_id"] == str(therapist_id)
    assert await count(app, "respondents") == respondents + 1
    fetched = await client.get(f"/v1/clients/{created['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json() == created


async def test_bad_client_bodies_name_the_field(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers, _, _ = await new_staff(app, "therapist")
    for body, pointer in (
        ({"label": ""}, "#/label"),
        ({"label": "x", "email": "not-an-email"}, "#/email"),
        ({"label": "x", "name": "Real Name"}, "#/name"),
    ):
        response = await client.post("/v1/clients", json=body, headers=headers)
        assert response.status_code == 422, body
        assert [e["pointer"] for e in response.json()["errors"]] == [pointer]
    assert await count(app, "clients") == 0


async def test_another_therapists_client_is_not_found_like_a_missing_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    mine, _, org = await new_staff(app, "therapist")
    colleague, _, _ = await new_staff(app, "therapist", org)
    created = await add_client(client, mine)

    theirs = await client.get(f"/v1/clients/{created['id']}", headers=colleague)
    missing = await client.get(f"/v1/clients/{uuid.uuid4()}", headers=colleague)

    assert theirs.status_code == missing.status_code == 404
    assert theirs.headers["content-type"] == "application/problem+json"
    assert theirs.json()["detail"] == missing.json()["detail"]
    assert "Tuesdays" not in theirs.text
    listed = await client.get("/v1/clients", headers=colleague)
    assert listed.json() == {"items": [], "next_cursor": None}


async def test_an_admin_sees_the_organization_and_nobody_sees_another(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    therapist, _, org = await new_staff(app, "therapist")
    admin, _, _ = await new_staff(app, "admin", org)
    stranger, _, _ = await new_staff(app, "admin")
    created = await add_client(client, therapist)
    own = await add_client(client, admin, "The admin's own")

    assert (await client.get(f"/v1/clients/{created['id']}", headers=admin)).status_code == 200
    listed = (await client.get("/v1/clients", headers=admin)).json()["items"]
    assert [c["id"] for c in listed] == [own["id"], created["id"]]
    assert (await client.get(f"/v1/clients/{created['id']}", headers=stranger)).status_code == 404
    assert (await client.get("/v1/clients", headers=stranger)).json()["items"] == []


async def test_researchers_and_strangers_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    therapist, _, org = await new_staff(app, "therapist")
    researcher, _, _ = await new_staff(app, "researcher", org)
    created = await add_client(client, therapist)

    for method, path in (
        ("GET", "/v1/clients"),
        ("GET", f"/v1/clients/{created['id']}"),
        ("POST", "/v1/clients"),
        ("GET", "/v1/attention"),
    ):
        response = await client.request(method, path, headers=researcher, json={"label": "x"})
        assert response.status_code == 403, path
        assert response.headers["content-type"] == "application/problem+json"
        anonymous = await client.request(method, path, json={"label": "x"})
        assert anonymous.status_code == 401, path
    assert await count(app, "clients") == 1


async def test_an_admin_may_add_a_client_for_a_therapist_of_their_own_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin, _, org = await new_staff(app, "admin")
    therapist, therapist_id, _ = await new_staff(app, "therapist", org)
    _, outsider_id, _ = await new_staff(app, "therapist")

    created = await add_client(client, admin, therapist_id=str(therapist_id))
    assert created["therapist_id"] == str(therapist_id)
    assert (await client.get(f"/v1/clients/{created['id']}", headers=therapist)).status_code == 200

    foreign = await client.post(
        "/v1/clients", json={"label": "x", "therapist_id": str(outsider_id)}, headers=admin
    )
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["pointer"] == "#/therapist_id"
    grab = await client.post(
        "/v1/clients", json={"label": "x", "therapist_id": str(therapist_id)}, headers=therapist
    )
    assert grab.status_code == 201  # naming oneself is fine
    _, colleague_id, _ = await new_staff(app, "therapist", org)
    reassign = await client.post(
        "/v1/clients", json={"label": "x", "therapist_id": str(colleague_id)}, headers=therapist
    )
    assert reassign.status_code == 403
    assert await count(app, "clients") == 2


async def test_clients_are_paged_newest_first(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers, _, _ = await new_staff(app, "therapist")
    made = [(await add_client(client, headers, f"Client {n}"))["id"] for n in range(3)]

    first = (await client.get("/v1/clients?limit=2", headers=headers)).json()
    second = (
        await client.get(f"/v1/clients?limit=2&cursor={first['next_cursor']}", headers=headers)
    ).json()

    assert [c["id"] for c in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None
    bad = await client.get("/v1/clients?cursor=nonsense", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["parameter"] == "cursor"
    assert (await client.get("/v1/clients?limit=101", headers=headers)).status_code == 422
