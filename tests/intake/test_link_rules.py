"""An intake link keeps its own rules over the API too: once per questionnaire, its feedback
choice, and a revoke that lands during a submit wins (on PostgreSQL, a real lock wait)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.assessments.models import Assessment
from app.clinic.models import Invitation
from app.db import utcnow
from tests.api.answering import answer_all, questionnaire, start, submit
from tests.conftest import count
from tests.intake.links import all_answers, answer_up_to_last_page, make_link
from tests.intake.test_bearer import bearer

LONELINESS = "three-item-loneliness"


async def test_a_link_makes_one_assessment_per_questionnaire(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (LONELINESS, "connection"))
    auth = bearer(link.token)
    answers = answer_all(await questionnaire(client, LONELINESS))
    first = await start(client, auth, LONELINESS, answers)
    assert (await submit(client, auth, first["id"])).status_code == 200

    again = await client.post(
        "/v1/assessments", json={"questionnaire_id": LONELINESS, "answers": answers}, headers=auth
    )

    assert again.status_code == 409, again.text
    assert again.json()["assessment"] == f"/v1/assessments/{first['id']}"
    assert await count(app, "results") == 1
    async with app.state.sessionmaker() as session:
        invitation = await session.get_one(Invitation, link.invitation_id)
    assert invitation.used_at is None  # the other questionnaire is still to answer


async def test_the_api_finds_the_assessment_the_form_made(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (LONELINESS,))
    assert (await client.get(link.url)).status_code == 200  # the form makes its assessment

    made = await client.post(
        "/v1/assessments", json={"questionnaire_id": LONELINESS}, headers=bearer(link.token)
    )

    assert made.status_code == 409
    async with app.state.sessionmaker() as session:
        (assessment,) = (await session.execute(select(Assessment))).scalars()
    assert made.json()["assessment"] == f"/v1/assessments/{assessment.id}"


async def test_the_form_completes_a_link_partly_answered_through_the_app(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (LONELINESS, "connection"))
    auth = bearer(link.token)
    answers = answer_all(await questionnaire(client, LONELINESS))
    first = await start(client, auth, LONELINESS, answers)
    assert (await submit(client, auth, first["id"])).status_code == 200

    # The form's pages (the first shows the app's answers) lead to the last, which sends.
    last_step, last = await answer_up_to_last_page(client, link)
    sent = await client.post(
        link.url, data={"step": str(last_step), "action": "submit", **all_answers(last)}
    )

    assert sent.status_code == 200, sent.text
    assert await count(app, "assessments") == 2
    assert await count(app, "results") == 2
    # Spent: the link now shows the feedback again, read-only, and takes no more answers.
    again = await client.get(link.url)
    assert again.status_code == 200
    assert "<form" not in again.text
    refused = await client.post(link.url, data={"step": "1", "action": "submit"})
    assert refused.status_code == 410


async def test_without_feedback_the_api_submits_but_shows_no_result(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (LONELINESS, "connection"), show_feedback=False)
    auth = bearer(link.token)
    created = await start(
        client, auth, LONELINESS, answer_all(await questionnaire(client, LONELINESS))
    )

    key = uuid.uuid4().hex
    sent = await submit(client, auth, created["id"], key)
    retried = await submit(client, auth, created["id"], key)
    result = await client.get(f"/v1/assessments/{created['id']}/result", headers=auth)

    assert sent.status_code == 204
    assert sent.content == b""
    assert retried.status_code == 204
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert result.status_code == 403
    assert "scales" not in result.text
    assert await count(app, "results") == 1  # submitted and scored, for the therapist


async def test_with_feedback_the_api_shows_the_result(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (LONELINESS, "connection"), show_feedback=True)
    auth = bearer(link.token)
    created = await start(
        client, auth, LONELINESS, answer_all(await questionnaire(client, LONELINESS))
    )

    sent = await submit(client, auth, created["id"])

    assert sent.status_code == 200
    assert sent.json()["scales"]


async def _revoke_and_hold(database_url: str, invitation_id: uuid.UUID) -> asyncpg.Connection:
    """The revoke's conditional UPDATE in a transaction left open: it holds the row lock."""
    dsn = make_url(database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    await connection.execute("BEGIN")
    await connection.execute(
        "UPDATE invitations SET revoked_at = $1 WHERE id = $2 "
        "AND used_at IS NULL AND revoked_at IS NULL",
        utcnow(),
        invitation_id,
    )
    return connection


async def _until_blocked(connection: asyncpg.Connection, waiting: int = 1) -> None:
    """Wait until `waiting` other backends wait on a lock (requests behind the holder)."""
    query = (
        "SELECT count(*) >= $1 FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    async with asyncio.timeout(20):
        # Only PostgreSQL knows when the submit waits: ask it (no event to await instead).
        while not await connection.fetchval(query, waiting):
            # Inside a transaction PostgreSQL keeps showing the first view of the activity.
            await connection.execute("SELECT pg_stat_clear_snapshot()")
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("through", ["form", "api"])
async def test_a_revoke_that_commits_during_a_submit_wins(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, through: str
) -> None:
    """The submit reads the live link, then waits on the revoke's lock; the revoke commits."""
    link = await make_link(app, (LONELINESS,))
    auth = bearer(link.token)
    if through == "form":
        page = await client.get(link.url)
        fields = {"step": "1", "action": "submit", **all_answers(page.text)}
        sending = client.post(link.url, data=fields)
    else:
        created = await start(
            client, auth, LONELINESS, answer_all(await questionnaire(client, LONELINESS))
        )
        sending = submit(client, auth, created["id"])
    holder = await _revoke_and_hold(database_url, link.invitation_id)
    try:
        task = asyncio.ensure_future(sending)
        await _until_blocked(holder)
        await holder.execute("COMMIT")
        sent = await task
    finally:
        await holder.close()

    assert sent.status_code == 410, sent.text
    async with app.state.sessionmaker() as session:
        invitation = await session.get_one(Invitation, link.invitation_id)
    assert invitation.revoked_at is not None
    assert invitation.used_at is None
    assert await count(app, "results") == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_starts_at_once_make_one_assessment(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> None:
    """Both wait on the invitation's lock, then one makes it and the other is told of it."""
    link = await make_link(app, (LONELINESS,))
    auth = bearer(link.token)
    dsn = make_url(database_url).set(drivername="postgresql")
    holder = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await holder.execute("BEGIN")
        await holder.execute(
            "SELECT id FROM invitations WHERE id = $1 FOR UPDATE", link.invitation_id
        )
        body = {"questionnaire_id": LONELINESS}
        tasks = [
            asyncio.ensure_future(client.post("/v1/assessments", json=body, headers=auth))
            for _ in range(2)
        ]
        await _until_blocked(holder, waiting=2)
        await holder.execute("COMMIT")
        answers = await asyncio.gather(*tasks)
    finally:
        await holder.close()

    assert sorted(a.status_code for a in answers) == [201, 409]
    assert await count(app, "assessments") == 1
