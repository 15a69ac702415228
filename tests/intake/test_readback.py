"""Reading the feedback again with the same link, read-only, until the link expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.clinic.models import Invitation
from app.db import utcnow
from tests.conftest import count
from tests.intake.links import Link, all_answers, make_link

EXPIRES = datetime(2099, 3, 14, 9, 30, tzinfo=UTC)


async def submitted(app: FastAPI, client: httpx.AsyncClient, **invitation: object) -> Link:
    link = await make_link(app, ("three-item-loneliness",), expires_at=EXPIRES, **invitation)
    page = (await client.get(link.url)).text
    sent = await client.post(link.url, data={"step": "1", "action": "submit", **all_answers(page)})
    assert sent.status_code == 200
    return link


async def change(app: FastAPI, link: Link, **columns: object) -> None:
    async with app.state.sessionmaker.begin() as session:
        await session.execute(
            update(Invitation).where(Invitation.id == link.invitation_id).values(**columns)
        )


async def test_the_feedback_reopens_read_only_and_says_until_when(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await submitted(app, client)
    for language, wording, date in (
        ("en", "You can open this page again with the same link until", "March 14, 2099"),
        ("es", "Puedes volver a abrir esta página con el mismo enlace hasta el", "marzo de 2099"),
    ):
        again = await client.get(link.url, headers={"Accept-Language": language})
        assert again.status_code == 200
        assert wording in again.text
        assert date in again.text
        assert "<form" not in again.text
        assert again.headers["cache-control"] == "no-store"
    # Still spent: no more answers are taken.
    refused = await client.post(link.url, data={"step": "1", "action": "submit"})
    assert refused.status_code == 410
    assert await count(app, "results") == 1


@pytest.mark.parametrize(
    ("columns", "wording"),
    [
        # A spent link says it was answered, whatever else happened to it since.
        ({"expires_at": utcnow() - timedelta(minutes=1)}, "already been answered"),
        ({"revoked_at": utcnow()}, "already been answered"),
    ],
)
async def test_an_expired_or_withdrawn_link_stops_showing_it(
    app: FastAPI, client: httpx.AsyncClient, columns: dict[str, object], wording: str
) -> None:
    link = await submitted(app, client)
    await change(app, link, **columns)
    gone = await client.get(link.url)
    assert gone.status_code == 410
    assert wording in gone.text
    assert "What your answers suggest" not in gone.text


async def test_without_feedback_the_spent_link_says_it_was_answered(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await submitted(app, client, show_feedback=False)
    gone = await client.get(link.url)
    assert gone.status_code == 410
    assert "already been answered" in gone.text
