"""Bad input gets a problem+json naming the field, the right status, and changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.answering import answer_all, questionnaire, start
from tests.conftest import snapshot

WOT = "window-of-tolerance"


async def _first_item(client: httpx.AsyncClient) -> dict[str, Any]:
    item: dict[str, Any] = (await questionnaire(client, WOT))["items"][0]
    return item


async def _assert_refused(
    app: FastAPI, response_call: Any, status: int, where: str | None
) -> dict[str, Any]:
    before = await snapshot(app)
    response: httpx.Response = await response_call()
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    if where is not None:
        named = [e.get("pointer") or e.get("parameter") for e in problem["errors"]]
        assert where in named, named
    assert await snapshot(app) == before, "a refused request changed the database"
    return problem


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"questionnaire_id": "no-such-questionnaire"}, "#/questionnaire_id"),
        ({"questionnaire_id": WOT, "version": "9.9.9"}, "#/version"),
        ({"questionnaire_id": WOT, "answers": {"no_such_item": 1}}, "#/answers/no_such_item"),
        ({"questionnaire_id": WOT, "answers": "all of them"}, "#/answers"),
        ({"questionnaire_id": WOT, "colour": "blue"}, "#/colour"),
        ({}, "#/questionnaire_id"),
    ],
)
async def test_create_with_bad_body(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    body: dict[str, Any],
    where: str,
) -> None:
    await _assert_refused(
        app, lambda: client.post("/v1/assessments", json=body, headers=auth), 422, where
    )


@pytest.mark.parametrize("value", [99, -1, "3", True, 1.5, None])
async def test_answer_outside_its_scale_or_of_wrong_type(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], value: Any
) -> None:
    item = (await _first_item(client))["id"]
    body = {"questionnaire_id": WOT, "answers": {item: value}}
    await _assert_refused(
        app,
        lambda: client.post("/v1/assessments", json=body, headers=auth),
        422,
        f"#/answers/{item}",
    )


async def test_save_of_an_unknown_item_keeps_the_others(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    item = (await _first_item(client))["id"]
    created = await start(client, auth)
    url = f"/v1/assessments/{created['id']}/answers"
    body = {"answers": {item: 1, "made_up": 2}}
    await _assert_refused(
        app, lambda: client.put(url, json=body, headers=auth), 422, "#/answers/made_up"
    )


async def test_submit_of_a_submitted_assessment(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await start(client, auth, answers=answer_all(await questionnaire(client, WOT)))
    url = f"/v1/assessments/{created['id']}/submit"
    await client.post(url, headers=auth | {"Idempotency-Key": "first"})
    await _assert_refused(
        app, lambda: client.post(url, headers=auth | {"Idempotency-Key": "second"}), 409, None
    )


async def test_body_over_the_limit(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    big = {"questionnaire_id": WOT, "answers": {f"item_{n}": 1 for n in range(5000)}}
    await _assert_refused(
        app, lambda: client.post("/v1/assessments", json=big, headers=auth), 413, None
    )


async def test_chunked_body_over_the_limit(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async def chunks() -> Any:
        yield b'{"questionnaire_id": "window-of-tolerance", "answers": {'
        for n in range(4000):
            yield f'"item_{n}": 1,'.encode()
        yield b'"last": 1}}'

    await _assert_refused(
        app,
        lambda: client.post(
            "/v1/assessments", content=chunks(), headers=auth | {"Content-Type": "application/json"}
        ),
        413,
        None,
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer atr_not-a-real-token"}, {"Authorization": "Basic eDp5"}],
)
async def test_missing_or_wrong_token(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = {"questionnaire_id": WOT}
    problem = await _assert_refused(
        app, lambda: client.post("/v1/assessments", json=body, headers=headers), 401, None
    )
    assert "token" in problem["detail"].lower()


async def test_malformed_json(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _assert_refused(
        app,
        lambda: client.post(
            "/v1/assessments",
            content=b"{not json",
            headers=auth | {"Content-Type": "application/json"},
        ),
        422,
        None,
    )


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nothing-here")
    wrong_method = await client.delete("/v1/questionnaires")
    assert (missing.status_code, wrong_method.status_code) == (404, 405)
    assert missing.headers["content-type"] == "application/problem+json"


async def test_unknown_assessment_id(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(f"/v1/assessments/{uuid.uuid4()}", headers=auth)
    malformed = await client.get("/v1/assessments/not-a-uuid", headers=auth)
    assert response.status_code == 404
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["parameter"] == "assessment_id"
