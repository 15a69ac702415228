"""Exports read through connections of their own: read-only, never the write lock, capped."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.config import Settings
from app.main import create_app
from app.research.readers import ExportReaders
from tests.conftest import clear_rows
from tests.research.seeding import LONELINESS, many_people, new_clinic

K = 11  # the default research_min_cell


async def test_an_export_connection_cannot_write(app: FastAPI) -> None:
    await new_clinic(app)
    readers: ExportReaders = app.state.export_readers
    async with readers.reading() as connection:
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
            await connection.execute(text("UPDATE organizations SET name = 'changed'"))


async def test_a_reading_export_does_not_hold_the_write_lock(app: FastAPI) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, 3)
    readers: ExportReaders = app.state.export_readers
    async with readers.reading() as connection:
        result = await connection.stream(text("SELECT id FROM respondents"))
        assert (await result.fetchmany(1)) != []  # a read transaction is open, a cursor too
        # On SQLite the app's writes take BEGIN IMMEDIATE: they would wait for a write lock.
        async with app.state.engine.begin() as writer:
            await writer.execute(text("UPDATE respondents SET locale = 'es'"))
        await result.close()


@pytest.fixture
async def one_export_app(database_url: str) -> AsyncIterator[FastAPI]:
    """An app that runs one export at a time."""
    settings = Settings(database_url=database_url, environment="test", research_max_exports=1)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
        await clear_rows(application.state.engine)


async def test_refused_and_finished_exports_give_their_slot_back(one_export_app: FastAPI) -> None:
    app = one_export_app
    clinic = await new_clinic(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as client:
        query = {"questionnaire": LONELINESS}
        for params, status in [
            ({"from": "2024-05-01"}, 422),  # finer than the rows show
            ({}, 422),  # nobody yet: fewer than k people
            ({"study": "none-such"}, 404),
        ]:
            refused = await client.get(
                "/v1/research/export", params=query | params, headers=clinic.researcher
            )
            assert refused.status_code == status, refused.text
        await many_people(app, clinic, K)
        for _ in range(2):  # the first one's slot is free again for the second
            done = await client.get("/v1/research/export", params=query, headers=clinic.researcher)
            assert done.status_code == 200, done.text
            assert done.text.count("\n") == K + 1
    assert app.state.export_readers.busy == 0
