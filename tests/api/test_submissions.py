"""One-shot offline submissions: safe to send again, and again at the same moment."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.answering import answer_all, questionnaire
from tests.conftest import count, snapshot


def _submission(definition: dict[str, Any], position: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "questionnaire_id": definition["id"],
        "answers": answer_all(definition, position),
        "answered_at": "2026-11-20T08:30:00+01:00",
    } | extra


async def test_the_same_submission_twice_is_stored_once(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = _submission(await questionnaire(client, "connection"))
    first = await client.post("/v1/submissions", json=body, headers=auth)
    retry = await client.post("/v1/submissions", json=body, headers=auth)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert first.json()["assessment"]["answered_at"] == "2026-11-20T07:30:00Z"
    assert first.headers["location"] == f"/v1/assessments/{first.json()['assessment']['id']}"
    assert await count(app, "assessments") == 1
    assert await count(app, "results") == 1


async def test_the_same_id_with_other_answers_is_a_conflict(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "connection")
    body = _submission(definition)
    await client.post("/v1/submissions", json=body, headers=auth)
    changed = body | {"answers": answer_all(definition, position=-1)}
    response = await client.post("/v1/submissions", json=changed, headers=auth)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert await count(app, "results") == 1


async def test_concurrent_retries_store_one_row_and_all_get_its_result(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = _submission(await questionnaire(client, "window-of-tolerance"))
    responses = await asyncio.gather(
        *(client.post("/v1/submissions", json=body, headers=auth) for _ in range(8))
    )
    # Sending again is safe even at the same moment: one stores it, every other one replays it.
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [201], [r.text for r in responses if r.status_code >= 300]
    (stored,) = [r.json() for r in responses if r.status_code == 201]
    for replay in (r for r in responses if r.status_code == 200):
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == stored
    assert await count(app, "assessments") == 1
    assert await count(app, "results") == 1


async def test_two_people_may_use_the_same_client_id(client: httpx.AsyncClient) -> None:
    from tests.conftest import new_respondent

    body = _submission(await questionnaire(client, "connection"))
    one, two = await new_respondent(client), await new_respondent(client)
    first = await client.post("/v1/submissions", json=body, headers=one)
    second = await client.post("/v1/submissions", json=body, headers=two)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["assessment"]["id"] != second.json()["assessment"]["id"]


async def test_answered_at_needs_a_time_zone(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = _submission(await questionnaire(client, "connection"), answered_at="2026-11-20T08:30:00")
    response = await client.post("/v1/submissions", json=body, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/answered_at"


@pytest.mark.parametrize(
    "answered_at",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: used to overflow into a 500
        "9999-12-31T23:59:59-12:00",  # after year 9999 in UTC: the same
        "1999-12-31T23:59:59Z",
        "2000-01-01T05:00:00+06:00",  # 1999 in UTC
        "in an hour",
        1700000000,  # a number is not a time, even one that reads as Unix seconds
    ],
)
async def test_an_implausible_answered_at_is_a_422(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], answered_at: str | int
) -> None:
    if answered_at == "in an hour":
        answered_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = _submission(await questionnaire(client, "connection"), answered_at=answered_at)
    before = await snapshot(app)
    response = await client.post("/v1/submissions", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/answered_at"]
    assert await snapshot(app) == before


async def test_a_time_just_now_or_in_2000_is_accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "connection")
    for answered_at in ("2000-01-01T00:00:00Z", datetime.now(UTC).isoformat()):
        body = _submission(definition, answered_at=answered_at)
        response = await client.post("/v1/submissions", json=body, headers=auth)
        assert response.status_code == 201, response.text
