"""A replayed one-shot submission is the first answer again, byte for byte."""

from __future__ import annotations

import uuid

import httpx

from tests.api.answering import answer_all, questionnaire


async def test_a_replay_is_byte_identical_to_the_first_answer(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    definition = await questionnaire(client, "window-of-tolerance")
    answers = answer_all(definition, 1)
    # Longest id first, the reverse of the order PostgreSQL's JSONB keeps keys in (shortest
    # first), so a replay read back from the database would come out in another order.
    shuffled = dict(sorted(answers.items(), key=lambda item: (-len(item[0]), item[0])))
    body = {
        "id": str(uuid.uuid4()),
        "questionnaire_id": definition["id"],
        "answers": shuffled,
        "answered_at": "2026-11-20T08:30:00Z",
    }
    first = await client.post("/v1/submissions", json=body, headers=auth)
    retry = await client.post("/v1/submissions", json=body, headers=auth)
    assert (first.status_code, retry.status_code) == (201, 200), retry.text
    assert retry.content == first.content
    # Item order is the questionnaire's, however the client sent them.
    assert list(first.json()["assessment"]["answers"]) == [i["id"] for i in definition["items"]]
