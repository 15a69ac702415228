"""A person's own data: history, trends, consent, export and erasure."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.questionnaires.service import record_definitions
from tests.api.answering import answer_all, questionnaire, start, submit
from tests.conftest import count


async def _offline(
    client: httpx.AsyncClient, auth: dict[str, str], qid: str, position: int, day: int
) -> str:
    """Submit an answer to every item at `position`, answered on that day; the assessment id."""
    definition = await questionnaire(client, qid)
    response = await client.post(
        "/v1/submissions",
        json={
            "id": str(uuid.uuid4()),
            "questionnaire_id": qid,
            "answers": answer_all(definition, position),
            "answered_at": f"2026-11-{day:02d}T10:00:00Z",
        },
        headers=auth,
    )
    assert response.status_code == 201, response.text
    assessment_id: str = response.json()["assessment"]["id"]
    return assessment_id


async def test_history_pages_newest_first_without_gaps(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    made = [await _offline(client, auth, "connection", 0, day) for day in (1, 2, 3)]
    made.append((await start(client, auth))["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/me/assessments", params=params, headers=auth)).json()
        seen += [item["assessment_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]  # the one started last comes first
    submitted = await client.get("/v1/me/assessments?status=submitted", headers=auth)
    assert [i["assessment_id"] for i in submitted.json()["items"]] == made[2::-1]
    assert [i["status"] for i in submitted.json()["items"]] == ["submitted"] * 3
    assert all(i["scores"] for i in submitted.json()["items"])


async def test_history_limits(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    too_many = await client.get("/v1/me/assessments?limit=1000", headers=auth)
    bad_cursor = await client.get("/v1/me/assessments?cursor=garbage", headers=auth)
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["parameter"] == "limit"
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["parameter"] == "cursor"


async def test_trend_shows_each_score_and_the_change(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _offline(client, auth, "window-of-tolerance", 0, 2)
    await _offline(client, auth, "window-of-tolerance", -1, 1)
    definition = await questionnaire(client, "window-of-tolerance")
    scale = definition["scales"][0]
    response = await client.get(
        f"/v1/me/trends?questionnaire=window-of-tolerance&scale={scale['id']}", headers=auth
    )
    assert response.status_code == 200, response.text
    trend = response.json()
    assert [p["answered_at"][:10] for p in trend["points"]] == ["2026-11-01", "2026-11-02"]
    (change,) = trend["changes"]
    assert (
        change["change"]["difference"] == trend["points"][1]["score"] - trend["points"][0]["score"]
    )
    # Original items: no published figures, so the raw change and the scale's own note.
    assert scale["reliability"] is None
    model = app.state.registry.get("window-of-tolerance").scale(scale["id"])
    assert change["change"]["note"] == model.reliability_note["en"]
    assert (change["change"]["basis"], change["change"]["rci"]) == ("raw", None)
    assert change["change"]["reliable"] is None
    unknown = await client.get(
        "/v1/me/trends?questionnaire=window-of-tolerance&scale=nope", headers=auth
    )
    assert unknown.status_code == 404


async def test_trend_with_published_figures_gives_the_reliable_change(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # No built-in scale publishes SD and r yet: serve a later version of one that does.
    registry = app.state.registry
    data = registry.get("three-item-loneliness").model_dump(mode="json", by_alias=True)
    data["version"] = "99.0.0"
    data["scales"][0]["reliability"] = {"sd": 1.5, "r": 0.8, "source": "test figures"}
    figured = Definition.model_validate(data)
    app.state.registry = Registry([*registry.all(), figured], registry.concepts, registry.support)
    async with app.state.sessionmaker.begin() as session:
        await record_definitions(session, app.state.registry)

    lowest = await _offline(client, auth, "three-item-loneliness", 0, 1)
    highest = await _offline(client, auth, "three-item-loneliness", -1, 2)
    response = await client.get(
        "/v1/me/trends?questionnaire=three-item-loneliness&scale=loneliness", headers=auth
    )

    assert response.status_code == 200, response.text
    trend = response.json()
    assert [(p["assessment_id"], p["questionnaire_version"]) for p in trend["points"]] == [
        (lowest, "99.0.0"),
        (highest, "99.0.0"),
    ]
    (change,) = trend["changes"]
    # 3 -> 9: 6 / (sqrt(2) * 1.5 * sqrt(0.2)) = 6 / 0.94868 = 6.3246
    assert change["change"]["basis"] == "rci"
    assert change["change"]["difference"] == 6
    assert change["change"]["rci"] == pytest.approx(6.3246, abs=1e-4)
    assert (change["change"]["reliable"], change["change"]["direction"]) == (True, "up")


async def test_consent_is_recorded_with_each_result(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _offline(client, auth, "connection", 0, 1)
    given = await client.put("/v1/me/consent", json={"research": True}, headers=auth)
    assert given.json()["research"] is True
    assert given.json()["updated_at"]
    await _offline(client, auth, "connection", 0, 2)
    export = (await client.get("/v1/me/export", headers=auth)).json()
    assert export["research_consent"] is True
    assert sorted(a["research_consent"] for a in export["assessments"]) == [False, True]


async def test_export_holds_answers_and_results(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _offline(client, auth, "connection", 0, 1)
    response = await client.get("/v1/me/export", headers=auth)
    assert response.headers["cache-control"] == "no-store"
    (assessment,) = response.json()["assessments"]
    assert assessment["answers"]
    assert assessment["result"]["scales"]


async def test_erase_removes_everything_and_says_what(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _offline(client, auth, "connection", 0, 1)
    answers = answer_all(await questionnaire(client, "connection"))
    created = await start(client, auth, "connection", answers)
    await submit(client, auth, created["id"])
    await start(client, auth)
    erased = await client.delete("/v1/me", headers=auth)
    assert erased.status_code == 200
    assert erased.json() | {"respondent_id": None} == {
        "respondent_id": None,
        "assessments": 3,
        "results": 2,
        "tokens": 1,
    }
    assert (await client.get("/v1/me/export", headers=auth)).status_code == 401
    for table in ("respondents", "respondent_tokens", "assessments", "results"):
        assert await count(app, table) == 0, table
