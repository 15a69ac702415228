"""Results, trends, the attention list and acknowledging, within the caller's scope."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
from fastapi import FastAPI

from app.assessments.models import Assessment
from tests.clinic.conftest import CALM, FLAGGING, add_client, submit_for
from tests.conftest import new_staff, snapshot

#: window-of-tolerance 1.1.0: hyper and hypo at the top, ventral regulation at the bottom.
FLAGGED_1_1 = [
    {"id": "hyperarousal-high", "label": "Often revved up"},
    {"id": "hypoarousal-high", "label": "Often shut down"},
    {"id": "swinging-little-settling", "label": "Swinging between both edges with little settling"},
    {"id": "outside-window-little-settling", "label": "Outside the window with little settling"},
]


async def test_results_come_newest_first_with_scores_flags_and_trace(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers, _, _ = await new_staff(app, "therapist")
    patient = await add_client(client, headers)
    other = await add_client(client, headers, "Someone else")
    calm, _ = await submit_for(app, patient["id"], CALM)
    flagged, flagged_result = await submit_for(app, patient["id"], FLAGGING)
    await submit_for(app, other["id"], FLAGGING)

    response = await client.get(f"/v1/clients/{patient['id']}/results", headers=headers)

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [r["assessment_id"] for r in items] == [flagged, calm]
    newest = items[0]
    assert newest["result_id"] == flagged_result
    assert newest["source"] == "app"
    assert newest["questionnaire_id"] == "window-of-tolerance"
    assert newest["flags"] == FLAGGED_1_1
    assert newest["profile"]["id"] == "swinging"
    hyper = next(s for s in newest["scales"] if s["id"] == "hyperarousal")
    assert (hyper["score"], hyper["band"]) == (16.0, "high")
    assert {step["rule"] for step in newest["trace"]} >= {"item", "scale", "band", "flag"}
    assert items[1]["flags"] == []
    paged = await client.get(f"/v1/clients/{patient['id']}/results?limit=1", headers=headers)
    cursor = paged.json()["next_cursor"]
    rest = await client.get(
        f"/v1/clients/{patient['id']}/results?limit=1&cursor={cursor}", headers=headers
    )
    assert [r["assessment_id"] for r in rest.json()["items"]] == [calm]
    assert rest.json()["next_cursor"] is None


async def test_a_trend_shows_raw_change_with_the_reason_when_no_figures_exist(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers, _, _ = await new_staff(app, "therapist")
    patient = await add_client(client, headers)
    first, _ = await submit_for(app, patient["id"], CALM)
    second, _ = await submit_for(app, patient["id"], FLAGGING)

    response = await client.get(
        f"/v1/clients/{patient['id']}/trends?questionnaire=window-of-tolerance&scale=hyperarousal",
        headers=headers,
    )

    assert response.status_code == 200, response.text
    trend = response.json()
    assert [p["assessment_id"] for p in trend["points"]] == [first, second]
    assert [p["score"] for p in trend["points"]] == [0.0, 16.0]
    (change,) = trend["changes"]
    assert change["change"]["basis"] == "raw"
    assert change["change"]["difference"] == 16.0
    assert change["change"]["rci"] is None
    assert "reliability" in change["change"]["note"]
    unknown_scale = await client.get(
        f"/v1/clients/{patient['id']}/trends?questionnaire=window-of-tolerance&scale=nope",
        headers=headers,
    )
    assert unknown_scale.status_code == 404
    unknown = await client.get(
        f"/v1/clients/{patient['id']}/trends?questionnaire=nope&scale=nope", headers=headers
    )
    assert unknown.status_code == 404


async def test_flagged_results_wait_for_attention_until_acknowledged(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    therapist, therapist_id, org = await new_staff(app, "therapist")
    colleague, _, _ = await new_staff(app, "therapist", org)
    admin, _, _ = await new_staff(app, "admin", org)
    patient = await add_client(client, therapist, "Sam")
    await submit_for(app, patient["id"], CALM)
    assessment_id, result_id = await submit_for(app, patient["id"], FLAGGING)

    waiting = (await client.get("/v1/attention", headers=therapist)).json()
    async with app.state.sessionmaker() as session:
        stored = await session.get_one(Assessment, uuid.UUID(assessment_id))
    assert stored.submitted_at is not None
    submitted_at = datetime.fromisoformat(waiting["items"][0].pop("submitted_at"))
    assert submitted_at == stored.submitted_at
    assert waiting["items"] == [
        {
            "result_id": result_id,
            "assessment_id": assessment_id,
            "client_id": patient["id"],
            "client_label": "Sam",
            "questionnaire_id": "window-of-tolerance",
            "questionnaire_version": "1.1.0",
            "profile": "swinging",
            "flags": FLAGGED_1_1,
        }
    ]
    assert (await client.get("/v1/attention", headers=colleague)).json()["items"] == []
    assert len((await client.get("/v1/attention", headers=admin)).json()["items"]) == 1

    first = await client.post(f"/v1/results/{result_id}/acknowledge", headers=therapist)
    again = await client.post(f"/v1/results/{result_id}/acknowledge", headers=admin)

    assert first.status_code == again.status_code == 200
    assert first.json()["acknowledged_by"] == str(therapist_id)
    assert again.json() == first.json()
    assert (await client.get("/v1/attention", headers=therapist)).json()["items"] == []
    assert (await client.get("/v1/attention", headers=admin)).json()["items"] == []
    results = await client.get(f"/v1/clients/{patient['id']}/results", headers=therapist)
    assert results.json()["items"][0]["acknowledged_at"] == first.json()["acknowledged_at"]


async def test_attention_is_paged_newest_first(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers, _, _ = await new_staff(app, "therapist")
    patient = await add_client(client, headers)
    made = [(await submit_for(app, patient["id"], FLAGGING))[1] for _ in range(3)]

    first = (await client.get("/v1/attention?limit=2", headers=headers)).json()
    rest = (
        await client.get(f"/v1/attention?limit=2&cursor={first['next_cursor']}", headers=headers)
    ).json()

    assert [i["result_id"] for i in first["items"] + rest["items"]] == made[::-1]
    assert rest["next_cursor"] is None


async def test_results_of_someone_elses_client_are_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    mine, _, org = await new_staff(app, "therapist")
    colleague, _, _ = await new_staff(app, "therapist", org)
    stranger, _, _ = await new_staff(app, "admin")
    researcher, _, _ = await new_staff(app, "researcher", org)
    patient = await add_client(client, mine)
    _, result_id = await submit_for(app, patient["id"], FLAGGING)
    before = await snapshot(app)

    for headers in (colleague, stranger):
        for path in ("results", "trends?questionnaire=window-of-tolerance&scale=hyperarousal"):
            response = await client.get(f"/v1/clients/{patient['id']}/{path}", headers=headers)
            assert response.status_code == 404, path
        ack = await client.post(f"/v1/results/{result_id}/acknowledge", headers=headers)
        assert ack.status_code == 404
        assert (await client.get("/v1/attention", headers=headers)).json()["items"] == []
    ack = await client.post(f"/v1/results/{result_id}/acknowledge", headers=researcher)
    assert ack.status_code == 403

    assert await snapshot(app) == before
