"""A client's consent withdrawal and erasure, recorded by their therapist or an admin."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.clinic.models import Client
from app.clinic.webhooks import enqueue_event
from app.respondents.models import Respondent
from tests.clinic.conftest import CALM, FLAGGING, add_client, submit_for
from tests.clinic.test_webhooks import intake_payload, register
from tests.conftest import count, new_staff, snapshot

LABEL = "Robin (Thursday group)"
EMAIL = "robin.erasable@example.org"


async def _client_with_everything(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str], organization_id: uuid.UUID
) -> dict[str, str]:
    """A client with results, an invitation and a webhook event that names them."""
    created = await add_client(client, headers, LABEL, email=EMAIL)
    await submit_for(app, created["id"], FLAGGING)
    await submit_for(app, created["id"], CALM, "connection")
    invited = await client.post(
        f"/v1/clients/{created['id']}/invitations",
        json={"questionnaires": ["connection"]},
        headers=headers,
    )
    assert invited.status_code == 201
    async with app.state.sessionmaker.begin() as session:
        payload = intake_payload() | {"client_id": created["id"]}
        await enqueue_event(session, organization_id, "intake.completed", payload)
    return created


def _text(rows: dict[str, list[tuple[object, ...]]]) -> str:
    return repr(rows)


async def test_erasing_a_client_leaves_no_trace_but_the_fact(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin, _, org = await new_staff(app, "admin")
    therapist, therapist_id, _ = await new_staff(app, "therapist", org)
    await register(client, admin, "https://hooks.clinic.example/attune")
    erased = await _client_with_everything(app, client, therapist, org)
    kept = await _client_with_everything(app, client, therapist, org)
    read = await client.get(f"/v1/clients/{erased['id']}/results", headers=therapist)
    assert read.status_code == 200  # a result.read audit row naming the client's id

    response = await client.delete(f"/v1/clients/{erased['id']}", headers=therapist)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "client_id": erased["id"],
        "assessments": 2,
        "results": 2,
        "invitations": 1,
        "outbox_messages": 1,
    }
    assert (await client.get(f"/v1/clients/{erased['id']}", headers=therapist)).status_code == 404
    rows = await snapshot(app)
    assert LABEL in _text(rows)  # the kept client has the same label …
    assert (await client.get(f"/v1/clients/{kept['id']}", headers=therapist)).status_code == 200
    kept_results = await client.get(f"/v1/clients/{kept['id']}/results", headers=therapist)
    assert len(kept_results.json()["items"]) == 2
    # … so erase it too and check that nothing of either is left anywhere.
    assert (await client.delete(f"/v1/clients/{kept['id']}", headers=admin)).status_code == 200
    rows = await snapshot(app)
    for trace in (LABEL, EMAIL, "@example.org"):
        assert trace not in _text(rows)
    for table in ("clients", "assessments", "results", "invitations", "outbox_messages"):
        assert rows[table] == [], table
    assert len(rows["respondents"]) == 0
    audit = await client.get("/v1/audit?action=client.erase", headers=admin)
    events = audit.json()["items"]
    assert {e["target"] for e in events} == {erased["id"], kept["id"]}
    mine = next(e for e in events if e["target"] == erased["id"])
    assert mine["actor_user_id"] == str(therapist_id)
    assert mine["details"] == {
        "assessments": 2,
        "results": 2,
        "invitations": 1,
        "outbox_messages": 1,
    }


async def test_only_the_clients_therapist_or_an_admin_erases_and_a_refusal_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    therapist, _, org = await new_staff(app, "therapist")
    colleague, _, _ = await new_staff(app, "therapist", org)
    researcher, _, _ = await new_staff(app, "researcher", org)
    outsider, _, _ = await new_staff(app, "admin")
    created = await add_client(client, therapist, LABEL, email=EMAIL)
    await submit_for(app, created["id"], FLAGGING)
    before = await snapshot(app)

    for headers, status in ((colleague, 404), (outsider, 404), (researcher, 403), ({}, 401)):
        response = await client.delete(f"/v1/clients/{created['id']}", headers=headers)
        assert response.status_code == status
        assert LABEL not in response.text
        refused = await client.post(
            f"/v1/clients/{created['id']}/withdraw-consent", headers=headers
        )
        assert refused.status_code == status

    assert await snapshot(app) == before


async def test_a_withdrawal_of_consent_is_recorded_once_and_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin, _, org = await new_staff(app, "admin")
    therapist, therapist_id, _ = await new_staff(app, "therapist", org)
    created = await add_client(client, therapist, LABEL)
    async with app.state.sessionmaker.begin() as session:
        owner = await session.get_one(Client, uuid.UUID(created["id"]))
        await session.execute(
            update(Respondent)
            .where(Respondent.id == owner.respondent_id)
            .values(research_consent=True)
        )
    path = f"/v1/clients/{created['id']}/withdraw-consent"

    first = await client.post(path, headers=therapist)
    again = await client.post(path, headers=therapist)

    assert first.status_code == again.status_code == 200
    assert first.json()["research_consent"] is False
    assert first.json()["research_consent_at"] is not None
    assert again.json() == first.json()
    async with app.state.sessionmaker() as session:
        owner = await session.get_one(Client, uuid.UUID(created["id"]))
        respondent = await session.get_one(Respondent, owner.respondent_id)
    assert respondent.research_consent is False
    audit = await client.get("/v1/audit?action=client.consent_withdraw", headers=admin)
    (event,) = audit.json()["items"]
    assert (event["target"], event["actor_user_id"]) == (created["id"], str(therapist_id))
    assert LABEL not in audit.text
    assert await count(app, "clients") == 1
