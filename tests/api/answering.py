"""Helpers for tests that answer questionnaires the way a mobile app does."""

from __future__ import annotations

from typing import Any

import httpx


async def questionnaire(client: httpx.AsyncClient, questionnaire_id: str) -> dict[str, Any]:
    """The questionnaire as the API serves it."""
    response = await client.get(f"/v1/questionnaires/{questionnaire_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def answer_all(definition: dict[str, Any], position: int = 0) -> dict[str, int]:
    """An answer to every item: the scored option at `position` (negative counts from the end);
    a "not applicable" option ("No one was close to me") is never chosen, since it scores nothing.
    """
    return {
        item["id"]: [o for o in item["options"] if not o["not_applicable"]][position]["value"]
        for item in definition["items"]
    }


async def start(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    questionnaire_id: str = "window-of-tolerance",
    answers: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Start an assessment over the API; return its body."""
    response = await client.post(
        "/v1/assessments",
        json={"questionnaire_id": questionnaire_id, "answers": answers or {}},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def submit(
    client: httpx.AsyncClient, auth: dict[str, str], assessment_id: str, key: str = "key-1"
) -> httpx.Response:
    """Submit an assessment with an Idempotency-Key."""
    return await client.post(
        f"/v1/assessments/{assessment_id}/submit", headers=auth | {"Idempotency-Key": key}
    )
