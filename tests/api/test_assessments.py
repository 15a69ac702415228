"""Start, save (resumably, safely), submit once, read the result: the app's main path."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.api.answering import answer_all, questionnaire, start, submit
from tests.conftest import count, new_respondent


async def test_start_save_resume_submit_and_read(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    answers = answer_all(definition, position=-1)
    first, *rest = list(answers.items())
    created = await start(client, auth, answers=dict([first]))
    assert created["status"] == "in_progress"
    assert created["progress"] == {"answered": 1, "total": len(answers)}

    url = f"/v1/assessments/{created['id']}"
    saved = await client.put(
        f"{url}/answers", json={"answers": dict(rest)}, headers=auth | {"If-Match": '"1"'}
    )
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == '"2"'

    resumed = (await client.get(url, headers=auth)).json()
    assert resumed["answers"] == answers
    assert resumed["progress"]["answered"] == len(answers)

    result = await submit(client, auth, created["id"])
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["definition_hash"] == definition["definition_hash"]
    assert body["engine_version"]
    assert {s["id"] for s in body["scales"]} == {s["id"] for s in definition["scales"]}
    assert all(s["status"] == "scored" and s["band"] for s in body["scales"])
    assert body["profile"]["id"]
    assert [step["rule"] for step in body["trace"]].count("band") == len(body["scales"])
    feedback = body["feedback"]
    assert feedback["notice"]
    assert feedback["support"]["resources"]
    assert feedback["support_first"] is bool(body["flags"])

    again = await client.get(f"{url}/result", headers=auth)
    assert again.json()["scales"] == body["scales"]
    assert again.headers["cache-control"] == "no-store"


async def test_result_feedback_in_spanish(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    definition = await questionnaire(client, "connection")
    created = await start(client, auth, "connection", answer_all(definition))
    await submit(client, auth, created["id"])
    english = (await client.get(f"/v1/assessments/{created['id']}/result", headers=auth)).json()
    spanish = (
        await client.get(f"/v1/assessments/{created['id']}/result?lang=es", headers=auth)
    ).json()
    assert (english["locale"], spanish["locale"]) == ("en", "es")
    assert english["feedback"]["notice"] != spanish["feedback"]["notice"]
    assert english["scales"][0]["score"] == spanish["scales"][0]["score"]


async def test_stale_if_match_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    item = definition["items"][0]["id"]
    created = await start(client, auth)
    url = f"/v1/assessments/{created['id']}/answers"
    ok = await client.put(url, json={"answers": {item: 1}}, headers=auth | {"If-Match": '"1"'})
    stale = await client.put(url, json={"answers": {item: 4}}, headers=auth | {"If-Match": '"1"'})
    assert ok.status_code == 200
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    current = (await client.get(f"/v1/assessments/{created['id']}", headers=auth)).json()
    assert current["answers"] == {item: 1}
    assert current["revision"] == 2


async def test_null_removes_an_answer(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    a, b = (i["id"] for i in definition["items"][:2])
    created = await start(client, auth, answers={a: 1, b: 2})
    saved = await client.put(
        f"/v1/assessments/{created['id']}/answers", json={"answers": {a: None}}, headers=auth
    )
    assert saved.json()["answers"] == {b: 2}


async def test_submit_is_idempotent_by_key(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    created = await start(client, auth, answers=answer_all(definition))
    first = await submit(client, auth, created["id"], key="abc")
    retry = await submit(client, auth, created["id"], key="abc")
    other = await submit(client, auth, created["id"], key="def")
    assert (first.status_code, retry.status_code, other.status_code) == (200, 200, 409)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["scales"] == first.json()["scales"]
    assert other.json()["result"] == f"/v1/assessments/{created['id']}/result"
    assert await count(app, "results") == 1


async def test_partial_answers_are_prorated_or_reported_insufficient(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    scale = definition["scales"][0]
    one_item = {scale["items"][0]: definition["items"][0]["options"][0]["value"]}
    created = await start(client, auth, answers=one_item)
    body = (await submit(client, auth, created["id"])).json()
    scored = {s["id"]: s for s in body["scales"]}
    assert scored[scale["id"]]["status"] == "insufficient"
    assert scored[scale["id"]]["band"] is None
    assert any(m["kind"] == "missing" for m in body["feedback"]["messages"])


async def test_submit_needs_an_idempotency_key_and_answers(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await start(client, auth)
    no_key = await client.post(f"/v1/assessments/{created['id']}/submit", headers=auth)
    empty = await submit(client, auth, created["id"])
    assert no_key.status_code == 400
    assert no_key.json()["errors"][0]["parameter"] == "Idempotency-Key"
    assert empty.status_code == 422
    assert await count(app, "results") == 0


async def test_submitted_answers_cannot_change(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    created = await start(client, auth, answers=answer_all(definition))
    await submit(client, auth, created["id"])
    item = definition["items"][0]["id"]
    response = await client.put(
        f"/v1/assessments/{created['id']}/answers", json={"answers": {item: 2}}, headers=auth
    )
    assert response.status_code == 409


async def test_result_before_submit_is_a_conflict(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await start(client, auth)
    response = await client.get(f"/v1/assessments/{created['id']}/result", headers=auth)
    assert response.status_code == 409


async def test_another_persons_assessment_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await start(client, auth)
    stranger = await new_respondent(client)
    for method, suffix in (("GET", ""), ("GET", "/result"), ("POST", "/submit")):
        response = await client.request(
            method,
            f"/v1/assessments/{created['id']}{suffix}",
            headers=stranger | {"Idempotency-Key": "k"},
        )
        assert response.status_code == 404, (method, suffix)
        assert response.json()["title"] == "Not found"
        assert "answers" not in response.json()


async def test_concurrent_submits_give_one_result_and_one_conflict(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    created = await start(client, auth, answers=answer_all(definition))
    responses = await asyncio.gather(
        *(submit(client, auth, created["id"], key=f"tab-{n}") for n in range(2))
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert await count(app, "results") == 1


async def test_concurrent_saves_with_the_same_if_match_lose_no_update(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    first, second = (i["id"] for i in definition["items"][:2])
    created = await start(client, auth)
    url = f"/v1/assessments/{created['id']}/answers"
    responses = await asyncio.gather(
        *(
            client.put(url, json={"answers": {item: 1}}, headers=auth | {"If-Match": '"1"'})
            for item in (first, second)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    winner = next(r for r in responses if r.status_code == 200).json()["answers"]
    stored = (await client.get(f"/v1/assessments/{created['id']}", headers=auth)).json()
    assert stored["answers"] == winner
    assert stored["revision"] == 2
