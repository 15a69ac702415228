"""Schedules and reminders: a fixed clock, a real SMTP server, the tick driven by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.db import utcnow
from app.outbox.worker import deliver_due
from app.schedules.tick import tick
from tests.clinic.conftest import PUBLIC_URL
from tests.intake.links import all_answers
from tests.mailserver import Received


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No background worker or ticker: the tests tick with their own clock."""
    return Settings(
        database_url=database_url,
        environment="test",
        public_url=PUBLIC_URL,
        outbox_poll_seconds=0,
    )


def morning() -> datetime:
    """Tomorrow at 10:00 UTC: a moment well outside the quiet hours in UTC."""
    return (utcnow() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def run(app: FastAPI, now: datetime) -> tuple[int, int]:
    """One tick at `now`, then one round of the outbox worker."""
    made = await tick(app.state.sessionmaker, app.state.settings, now)
    await deliver_due(app.state.sessionmaker, app.state.outbox_channels)
    return made


async def schedule(
    client: httpx.AsyncClient, staff: dict[str, str], client_id: str, **body: Any
) -> httpx.Response:
    body = {"questionnaires": ["three-item-loneliness"], "every": 2, "unit": "weeks"} | body
    return await client.post(f"/v1/clients/{client_id}/schedules", json=body, headers=staff)


def text_of(received: Received) -> str:
    part = received.message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(received: Received) -> str:
    part = received.message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def link_in(received: Received) -> str:
    """The intake link of an email (its path, for the test client)."""
    (link,) = {word for word in text_of(received).split() if "/intake/" in word}
    assert link.startswith(f"{PUBLIC_URL}/intake/")
    return urlsplit(link).path


async def complete(client: httpx.AsyncClient, path: str) -> None:
    """Answer a one-questionnaire intake link through the form."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    sent = await client.post(path, data={"step": "1", "action": "submit", **all_answers(page.text)})
    assert sent.status_code in {200, 303}, sent.text
