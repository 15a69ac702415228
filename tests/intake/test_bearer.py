"""An intake link's token over /v1: the client's respondent, for that invitation only."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.assessments.models import Assessment
from app.db import utcnow
from tests.api.answering import answer_all, questionnaire, start, submit
from tests.conftest import new_respondent
from tests.intake.links import all_answers, make_link


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_token_answers_its_invitation_over_the_api(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("three-item-loneliness", "connection"))
    auth = bearer(link.token)
    created = await start(client, auth, "three-item-loneliness")
    assert created["source"] == "intake"
    url = f"/v1/assessments/{created['id']}"
    answers = answer_all(await questionnaire(client, "three-item-loneliness"))
    saved = await client.put(f"{url}/answers", json={"answers": answers}, headers=auth)
    assert saved.status_code == 200, saved.text
    assert (await client.get(url, headers=auth)).json()["answers"] == answers
    assert (await submit(client, auth, created["id"])).status_code == 200
    assert (await client.get(f"{url}/result", headers=auth)).status_code == 200

    async with app.state.sessionmaker() as session:
        stored = await session.get(Assessment, uuid.UUID(created["id"]))
    assert stored is not None
    assert (stored.invitation_id, stored.respondent_id) == (link.invitation_id, link.respondent_id)


async def test_the_token_reaches_nothing_else(app: FastAPI, client: httpx.AsyncClient) -> None:
    link = await make_link(app, ("three-item-loneliness",))
    auth = bearer(link.token)
    other = await client.post(
        "/v1/assessments", json={"questionnaire_id": "connection"}, headers=auth
    )
    assert other.status_code == 403
    for path in ("/v1/me/assessments", "/v1/me/export"):
        assert (await client.get(path, headers=auth)).status_code == 403
    assert (await client.delete("/v1/me", headers=auth)).status_code == 403
    offline = {
        "id": "0f8f7c52-8a8e-4c38-9a39-1df37c6a4a30",
        "questionnaire_id": "three-item-loneliness",
        "answers": {},
        "answered_at": "2026-01-01T00:00:00Z",
    }
    assert (await client.post("/v1/submissions", json=offline, headers=auth)).status_code == 403

    # The client's own assessments outside this invitation are out of reach too.
    async with app.state.sessionmaker.begin() as session:
        outside = Assessment(
            respondent_id=link.respondent_id,
            questionnaire_id="three-item-loneliness",
            questionnaire_version="1.0.0",
            definition_hash=app.state.registry.hash(
                app.state.registry.get("three-item-loneliness", "1.0.0")
            ),
        )
        session.add(outside)
    assert (await client.get(f"/v1/assessments/{outside.id}", headers=auth)).status_code == 404
    # Another link's assessment, and another person's, are as absent as missing ones.
    second = await make_link(app, ("three-item-loneliness",))
    theirs = await start(client, bearer(second.token), "three-item-loneliness")
    assert (await client.get(f"/v1/assessments/{theirs['id']}", headers=auth)).status_code == 404
    stranger = await new_respondent(client)
    seen = await client.get(f"/v1/assessments/{theirs['id']}", headers=stranger)
    assert seen.status_code == 404


@pytest.mark.parametrize(
    "columns",
    [
        {"revoked_at": utcnow()},
        {"expires_at": utcnow() - timedelta(seconds=1)},
        {"used_at": utcnow()},
    ],
)
async def test_a_spent_token_is_not_a_credential(
    app: FastAPI, client: httpx.AsyncClient, columns: dict[str, object]
) -> None:
    link = await make_link(app, ("three-item-loneliness",), **columns)
    response = await client.post(
        "/v1/assessments",
        json={"questionnaire_id": "three-item-loneliness"},
        headers=bearer(link.token),
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    async with app.state.sessionmaker() as session:
        assert (await session.execute(select(Assessment))).first() is None


async def test_the_form_and_the_api_meet_in_one_submit(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("three-item-loneliness",))
    # Once the form spends the link, the token opens nothing over the API either.
    page = (await client.get(link.url)).text
    sent = await client.post(link.url, data={"step": "1", "action": "submit", **all_answers(page)})
    assert sent.status_code == 200
    again = await client.post(
        "/v1/assessments",
        json={"questionnaire_id": "three-item-loneliness"},
        headers=bearer(link.token),
    )
    assert again.status_code == 401


async def test_the_last_api_submit_spends_the_link_and_announces_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from app.accounts.models import Organization
    from app.clinic.models import Invitation
    from app.outbox.models import OutboxMessage
    from tests.conftest import count

    link = await make_link(app, ("three-item-loneliness", "connection"))
    async with app.state.sessionmaker.begin() as session:
        organization = await session.get(Organization, link.organization_id)
        assert organization is not None
        organization.webhook_url = "http://127.0.0.1:9/hook"
        organization.webhook_secret = "whsec_test"
    auth = bearer(link.token)
    for n, questionnaire_id in enumerate(("three-item-loneliness", "connection")):
        answers = answer_all(await questionnaire(client, questionnaire_id))
        created = await start(client, auth, questionnaire_id, answers)
        assert (await submit(client, auth, created["id"])).status_code == 200
        async with app.state.sessionmaker() as session:
            invitation = await session.get(Invitation, link.invitation_id)
        assert invitation is not None
        assert (invitation.used_at is not None) is (n == 1), "spent by the last submit only"
    # Spent: the form takes no more answers; it shows the feedback again, read-only.
    assert (await client.post(link.url, data={"step": "1", "action": "save"})).status_code == 410
    reread = await client.get(link.url)
    assert reread.status_code == 200
    assert "What your answers suggest" in reread.text
    assert await count(app, "outbox_messages") == 1
    async with app.state.sessionmaker() as session:
        delivery = (await session.execute(select(OutboxMessage))).scalar_one()
    assert len(delivery.payload["assessment_ids"]) == 2
