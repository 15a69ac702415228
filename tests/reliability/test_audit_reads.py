"""Every read of a client's results by staff leaves an audit event; a refused read leaves none."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.clinic.conftest import CALM, FLAGGING, add_client, submit_for
from tests.conftest import new_staff

LABEL = "R. (Thursdays, after school)"


async def _events(app: FastAPI) -> list[AuditEvent]:
    async with app.state.sessionmaker() as session:
        statement = select(AuditEvent).where(AuditEvent.action == "result.read")
        return list((await session.execute(statement.order_by(AuditEvent.created_at))).scalars())


async def _client_with_results(app: FastAPI, http: httpx.AsyncClient) -> dict[str, Any]:
    therapist, therapist_id, organization_id = await new_staff(app, "therapist")
    body = await add_client(http, therapist, label=LABEL, email="r.person@example.org")
    await submit_for(app, body["id"], CALM)
    await submit_for(app, body["id"], FLAGGING)
    return body | {
        "headers": therapist,
        "therapist_id": therapist_id,
        "organization_id": organization_id,
    }


def _no_personal_data(event: AuditEvent) -> None:
    written = json.dumps(event.details) + (event.target or "")
    assert LABEL not in written
    assert "example.org" not in written


async def test_reading_a_clients_results_is_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await _client_with_results(app, client)
    response = await client.get(f"/v1/clients/{owner['id']}/results", headers=owner["headers"])
    assert response.status_code == 200
    assert len(response.json()["items"]) == 2
    [event] = await _events(app)
    assert event.target == owner["id"]
    assert event.actor_user_id == owner["therapist_id"]
    assert event.organization_id == owner["organization_id"]
    assert event.details == {"count": 2}
    _no_personal_data(event)


async def test_reading_a_trend_is_audited(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await _client_with_results(app, client)
    query = {"questionnaire": "window-of-tolerance", "scale": "hyperarousal"}
    response = await client.get(
        f"/v1/clients/{owner['id']}/trends", params=query, headers=owner["headers"]
    )
    assert response.status_code == 200
    [event] = await _events(app)
    assert event.target == owner["id"]
    assert event.details == {"count": 2} | query


async def test_the_attention_list_names_every_client_it_showed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await _client_with_results(app, client)
    admin, admin_id, _ = await new_staff(app, "admin", owner["organization_id"])
    response = await client.get("/v1/attention", headers=admin)
    assert response.status_code == 200
    assert [item["client_id"] for item in response.json()["items"]] == [owner["id"]]
    [event] = await _events(app)
    assert event.actor_user_id == admin_id
    assert event.target == "attention"
    assert event.details == {"count": 1, "client_ids": [owner["id"]]}
    _no_personal_data(event)


async def test_a_refused_read_records_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await _client_with_results(app, client)
    colleague, _, _ = await new_staff(app, "therapist", owner["organization_id"])
    for path in (f"/v1/clients/{owner['id']}/results", f"/v1/clients/{uuid.uuid4()}/results"):
        response = await client.get(path, headers=colleague)
        assert response.status_code == 404
    assert await _events(app) == []


async def test_each_read_is_one_event(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await _client_with_results(app, client)
    for _ in range(3):
        response = await client.get(
            f"/v1/clients/{owner['id']}/results", params={"limit": 1}, headers=owner["headers"]
        )
        assert response.status_code == 200
    events = await _events(app)
    assert [e.details["count"] for e in events] == [1, 1, 1]


async def test_an_empty_read_records_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    therapist, _, _ = await new_staff(app, "therapist")
    body = await add_client(client, therapist, label=LABEL)
    assert (await client.get(f"/v1/clients/{body['id']}/results", headers=therapist)).is_success
    assert (await client.get("/v1/attention", headers=therapist)).json()["items"] == []
    assert await _events(app) == []
