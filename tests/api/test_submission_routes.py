"""A one-shot submission answers alike whichever way it goes (app/assessments/oneshot.py).

A new submission by a respondent's token is answered without FastAPI's dependencies and with
the token checked inside the write; everything else takes the full route. These requests
sit on the boundary between the two: each must get the full route's answer.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.db import utcnow
from app.respondents.models import RespondentToken
from tests.api.answering import answer_all, questionnaire
from tests.conftest import count, snapshot


def _body(definition: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "questionnaire_id": definition["id"],
        "answers": answer_all(definition, 1),
        "answered_at": "2026-11-20T08:30:00Z",
    } | extra


async def test_a_revoked_token_is_refused_at_once_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    first = await client.post("/v1/submissions", json=_body(definition), headers=auth)
    assert first.status_code == 201, first.text
    async with app.state.engine.begin() as connection:
        await connection.execute(update(RespondentToken).values(revoked_at=utcnow()))
    before = await snapshot(app)
    refused = await client.post("/v1/submissions", json=_body(definition), headers=auth)
    assert refused.status_code == 401, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert await snapshot(app) == before


async def test_an_erased_respondents_token_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    assert (await client.delete("/v1/me", headers=auth)).status_code == 200
    refused = await client.post("/v1/submissions", json=_body(definition), headers=auth)
    assert refused.status_code == 401, refused.text
    assert await count(app, "assessments") == 0


async def test_an_unknown_token_with_a_bad_body_is_a_401_first(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    unknown = {"Authorization": "Bearer atr_not-a-token-of-ours"}
    refused = await client.post("/v1/submissions", json={"id": "x"}, headers=unknown)
    assert refused.status_code == 401, refused.text
    assert await count(app, "assessments") == 0


async def test_a_live_token_with_a_bad_body_is_a_422_naming_the_field(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    bad = _body(definition, answers={"no-such-item": 1})
    refused = await client.post("/v1/submissions", json=bad, headers=auth)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "no-such-item" in refused.text
    assert await count(app, "assessments") == 0


async def test_lang_and_a_charset_take_the_full_route_to_the_same_answer(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    body = _body(definition)
    direct = await client.post("/v1/submissions", json=body, headers=auth)
    assert direct.status_code == 201, direct.text
    # Another client id, the same answers: the full route (a charset on the content type).
    again = _body(definition)
    full = await client.post(
        "/v1/submissions",
        content=httpx.Request("POST", "/", json=again).content,
        headers=auth | {"Content-Type": "application/json; charset=utf-8"},
    )
    assert full.status_code == 201, full.text
    assert set(full.headers) == set(direct.headers)
    mine, theirs = direct.json(), full.json()
    for answer in (mine, theirs):
        del answer["client_id"]
        for stamped in ("id", "created_at", "updated_at", "submitted_at"):
            del answer["assessment"][stamped]
        del answer["result"]["assessment_id"], answer["result"]["submitted_at"]
    assert mine == theirs
    with_lang = await client.post("/v1/submissions?lang=en", json=_body(definition), headers=auth)
    assert with_lang.status_code == 201, with_lang.text
    assert with_lang.json()["result"]["locale"] == "en"


async def test_a_chunked_body_over_the_limit_is_a_413_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async def chunks() -> Any:
        yield b'{"id": "5b1f4f8e-2c7a-4f57-9a3c-0d6f2b1e9a10", "answers": {'
        for n in range(4000):
            yield f'"item_{n}": 1,'.encode()
        yield b'"last": 1}}'

    before = await snapshot(app)
    refused = await client.post(
        "/v1/submissions", content=chunks(), headers=auth | {"Content-Type": "application/json"}
    )
    assert refused.status_code == 413, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert await snapshot(app) == before
