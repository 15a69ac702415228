"""The therapist's dashboard: attention first, latest scores with change, pending intakes;
a bounded number of SQL statements whatever the number of clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select

from app.accounts.models import User
from app.assessments.models import Result
from app.audit.models import AuditEvent
from app.clinic import invitations, service
from app.config import Settings
from app.main import create_app
from tests.clinic.conftest import add_client
from tests.conftest import new_staff
from tests.console.browsing import post_form, sign_in
from tests.console.seeding import clients_with_results, therapist
from tests.intake.links import all_answers


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No background webhook sender: its polls would run statements during the count."""
    return Settings(database_url=database_url, environment="test", outbox_poll_seconds=0)


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_the_dashboard_shows_attention_scores_change_and_pending_links(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user_id, organization_id = await therapist(app)
    [client_id] = await clients_with_results(app, user_id, 1)
    # Someone else's client in the same organization, and another organization's: not shown.
    other, _, _ = await new_staff(app, "therapist", organization_id)
    await add_client(client, other, label="Not yours")
    await sign_in(client, "sam@clinic.test")
    page = await client.get("/console")
    assert page.status_code == 200
    html = page.text
    assert html.index("Needs your attention (1)") < html.index("Your clients (1)")
    assert "Outside the window with little settling" in html
    assert "Client 000" in html
    assert "Not yours" not in html
    assert "Revved up (above the window)" in html
    assert "since the previous" in html  # calm, then flagged: a change per scale
    assert "Intake pending: 0 of" in html
    async with app.state.sessionmaker() as session:
        audited = (await session.execute(select(AuditEvent))).scalars().all()
    assert [(e.action, e.details["client_ids"]) for e in audited] == [("result.read", [client_id])]

    [result_id] = [part.split("/")[0] for part in html.split('action="/console/results/')[1:]]
    acknowledged = await post_form(
        client, f"/console/results/{result_id}/acknowledge", {}, from_page="/console"
    )
    assert acknowledged.status_code == 303
    assert acknowledged.headers["location"] == "/console?acknowledged=1"
    after = await client.get(acknowledged.headers["location"])
    assert "Needs your attention (0)" in after.text
    assert "Marked as seen" in after.text
    async with app.state.sessionmaker() as session:
        result = await session.get_one(Result, uuid.UUID(result_id))
    assert result.acknowledged_by == user_id


async def test_the_dashboard_runs_as_many_statements_for_30_clients_as_for_3(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    counts = []
    for size, email in ((3, "few@clinic.test"), (30, "many@clinic.test")):
        user_id, _ = await therapist(app, email)
        await clients_with_results(app, user_id, size)
        client.cookies.clear()
        await sign_in(client, email)
        with statements(app) as seen:
            page = await client.get("/console")
        assert page.status_code == 200
        assert page.text.count('class="card"') == size
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


async def test_a_pending_link_counts_only_the_questionnaires_still_offered(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    """A link made while De Jong Gierveld was enabled, after the operator turned it off: the
    form serves only the rest, so the progress counts only the rest and can reach complete."""
    de_jong, three_item = "de-jong-gierveld-6", "three-item-loneliness"
    enabled = create_app(settings.model_copy(update={"questionnaires_enabled": [de_jong]}))
    user_id, _ = await therapist(app)
    async with enabled.router.lifespan_context(enabled):
        async with app.state.sessionmaker.begin() as session:
            user = await session.get_one(User, user_id)
            person = await service.create_client(session, user, "Robin", None, None)
            chosen = invitations.resolve_questionnaires(
                enabled.state.registry, [three_item, de_jong]
            )
            _, token = await invitations.create_invitation(
                session, user, person, chosen, expires_in_days=7, show_feedback=True
            )
        transport = httpx.ASGITransport(app=enabled)
        async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as before:
            # One De Jong Gierveld answer, saved while it was still offered.
            saved = await before.post(
                f"/intake/{token}", data={"step": "2", "action": "save", "answer-emptiness": "1"}
            )
            assert saved.status_code == 303, saved.text
    # Turned off (`app` runs without it): the client answers all that is left and saves.
    page = await client.get(f"/intake/{token}")
    fields = {"step": "1", "action": "save", **all_answers(page.text)}
    assert len(fields) == 2 + len(app.state.registry.get(three_item).items)
    assert (await client.post(f"/intake/{token}", data=fields)).status_code == 303

    await sign_in(client, "sam@clinic.test")
    html = (await client.get("/console")).text
    items = len(app.state.registry.get(three_item).items)
    assert f"Intake pending: {items} of {items} answered" in html
