"""Two ticks at once, on two engines (two servers), make each occurrence and reminder once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import create_engine, create_sessionmaker
from app.outbox.models import OutboxMessage
from app.schedules.models import Occurrence, Schedule
from app.schedules.tick import tick
from tests.clinic.conftest import add_client
from tests.conftest import count, new_staff
from tests.schedules.conftest import iso, morning, schedule


@pytest.fixture(params=["postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """PostgreSQL only: concurrent workers are a PostgreSQL deployment (SQLite has one writer)."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def other_server(app: FastAPI) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A second engine on the same database, as another server's worker would have."""
    engine = create_engine(app.state.settings)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def test_two_ticks_racing_make_one_occurrence_and_one_reminder_each(
    app: FastAPI,
    client: httpx.AsyncClient,
    other_server: async_sessionmaker[AsyncSession],
) -> None:
    staff, _, _ = await new_staff(app, "therapist")
    start = morning()
    for index in range(5):
        person = await add_client(client, staff, email=f"p{index}@example.org")
        made = await schedule(
            client,
            staff,
            person["id"],
            starts_at=iso(start),
            count=2,
            remind_after_days=2,
            max_reminders=1,
        )
        assert made.status_code == 201
    settings = app.state.settings
    for moment in (start, start + timedelta(days=2)):
        for _ in range(3):  # several rounds, each two workers at once
            await asyncio.gather(
                tick(app.state.sessionmaker, settings, moment),
                tick(other_server, settings, moment),
            )
    assert await count(app, "schedule_occurrences") == 5
    assert await count(app, "invitations") == 5
    async with app.state.sessionmaker() as session:
        keys = list((await session.execute(select(OutboxMessage.dedup_key))).scalars())
        numbers = set((await session.execute(select(Occurrence.number))).scalars())
    assert numbers == {0}
    assert len(keys) == len(set(keys)) == 10  # five invitations, five reminders
    assert sum(1 for key in keys if key and key.startswith("reminder:")) == 5


async def test_a_restarted_worker_does_not_repeat_an_occurrence(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Even if a schedule row forgot its progress, the occurrence's unique key holds."""
    staff, _, _ = await new_staff(app, "therapist")
    person = await add_client(client, staff, email="q@example.org")
    start = morning()
    made = await schedule(client, staff, person["id"], starts_at=iso(start), count=2)
    assert made.status_code == 201
    await tick(app.state.sessionmaker, app.state.settings, start)
    async with app.state.sessionmaker.begin() as session:
        row = (await session.execute(select(Schedule))).scalar_one()
        row.next_number, row.next_due_at = 0, start  # as if the update were lost
    assert await tick(app.state.sessionmaker, app.state.settings, start) == (0, 0)
    assert await count(app, "invitations") == 1
    assert await count(app, "outbox_messages") == 1
