"""Faults of the test's own PostgreSQL database, and the durability check to run after each.

Only the database this test run created is touched: its connections are refused
(`ALLOW_CONNECTIONS false`), its backends terminated, its tables locked. The admin connections
go to the server's other database (ATTUNE_TEST_POSTGRES_URL) or are spared by pid.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.assessments.models import Assessment, Result
from app.config import Settings
from app.main import create_app
from tests.conftest import POSTGRES_URL, clear_rows

#: Generous bound for a request that must not hang: far above every timeout the tests set,
#: it only turns a hang (the bug) into a failure instead of a stuck run.
HANG = 60


def dsn(url: str) -> str:
    """An asyncpg DSN for a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_name(url: str) -> str:
    """The database a URL names."""
    return str(make_url(url).database)


@asynccontextmanager
async def admin() -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to the server's other database, not the one under test."""
    assert POSTGRES_URL is not None
    connection = await asyncpg.connect(dsn(POSTGRES_URL))
    try:
        yield connection
    finally:
        await connection.close()


async def terminate_backends(url: str, *, spare: int | None = None) -> int:
    """pg_terminate_backend every connection to the test database (but `spare`); how many."""
    async with admin() as connection:
        killed = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> coalesce($2, 0)",
            database_name(url),
            spare,
        )
    return int(killed)


async def terminate_backend(pid: int) -> None:
    """pg_terminate_backend one connection, whatever it is doing."""
    async with admin() as connection:
        assert await connection.fetchval("SELECT pg_terminate_backend($1)", pid)


@asynccontextmanager
async def refusing_connections(url: str) -> AsyncIterator[None]:
    """The test database refuses new connections (SQLSTATE 55000) and has none open."""
    name = database_name(url)
    async with admin() as connection:
        await connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            await terminate_backends(url)
            yield
        finally:
            await connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@asynccontextmanager
async def locked(url: str, table: str) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on the test database holding `table` in ACCESS EXCLUSIVE mode."""
    connection = await asyncpg.connect(dsn(url))
    try:
        async with connection.transaction():
            await connection.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            yield connection
    finally:
        await connection.close()


async def backend_waiting_for_lock(url: str, spare: int) -> int:
    """The pid of the test database's backend that waits for a lock (waits for it to appear)."""
    async with admin() as connection:
        while True:
            pid = await connection.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> $2 "
                "AND wait_event_type = 'Lock'",
                database_name(url),
                spare,
            )
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.01)  # polling pg_stat_activity for the event, not a delay


@asynccontextmanager
async def started(url: str, **settings: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app on the test database with these settings, and a client; rows deleted after."""
    app = create_app(Settings(database_url=url, environment="test", **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as client:
            yield app, client
        await clear_rows(app.state.engine)


async def respondent(client: httpx.AsyncClient) -> dict[str, str]:
    """A new respondent's Authorization header."""
    response = await client.post("/v1/respondents", json={})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def submission(client: httpx.AsyncClient) -> dict[str, Any]:
    """A one-shot submission body answering every item of the three-item loneliness scale."""
    definition = (await client.get("/v1/questionnaires/three-item-loneliness")).json()
    return {
        "id": str(uuid.uuid4()),
        "questionnaire_id": definition["id"],
        "answers": {item["id"]: item["options"][1]["value"] for item in definition["items"]},
        "answered_at": "2026-11-20T08:30:00Z",
    }


def assert_unavailable(response: httpx.Response) -> None:
    """A 503 problem document that tells the client when to try again."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:attune:problem:service-unavailable"
    assert int(response.headers["retry-after"]) > 0


async def assert_stored_once(
    engine: AsyncEngine, acknowledged: Mapping[str, str], attempted: Iterable[str]
) -> None:
    """Durability: each acknowledged submission (client id -> assessment id) is stored exactly
    once with its result, no other attempt more than once, and no assessment lacks a result."""
    client_ids = {uuid.UUID(c) for c in [*acknowledged, *attempted]}
    statement = (
        select(Assessment.client_id, Assessment.id, Result.id)
        .outerjoin(Result, Result.assessment_id == Assessment.id)
        .where(Assessment.client_id.in_(client_ids))
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    stored: dict[str, list[tuple[str, Any]]] = {}
    for client_id, assessment_id, result_id in rows:
        stored.setdefault(str(client_id), []).append((str(assessment_id), result_id))
    for client_id, assessment_id in acknowledged.items():
        [(stored_id, result_id)] = stored[client_id]
        assert stored_id == assessment_id
        assert result_id is not None
    assert all(len(copies) == 1 for copies in stored.values())
    async with engine.connect() as connection:
        unscored = select(func.count()).select_from(Assessment).outerjoin(Result)
        unscored = unscored.where(Assessment.status == "submitted", Result.id.is_(None))
        assert await connection.scalar(unscored) == 0


class CuttableLink:
    """A TCP proxy to PostgreSQL the test can cut: its connections drop and new ones are refused.

    That is what an app sees when the database host goes away, without stopping the server the
    other tests share.
    """

    def __init__(self, url: str) -> None:
        target = make_url(url)
        self.target = (target.host or "127.0.0.1", target.port or 5432)
        self.url = url
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task[Any]] = set()

    async def join(self) -> str:
        """Listen (on the same port again after a cut); the database URL through the link."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        address = make_url(self.url).set(host="127.0.0.1", port=self.port)
        return address.render_as_string(hide_password=False)

    async def cut(self) -> None:
        """Stop listening and drop every relayed connection."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._open):
            writer.transport.abort()
        await self._server.wait_closed()
        await asyncio.gather(*self._relays)  # each ends once both its sides are closed

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._open |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.transport.abort()
                self._open.discard(sink)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
