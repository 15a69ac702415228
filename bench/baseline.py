"""The baselines for `throughput.py`: a bare FastAPI app, with and without one durable write.

It is served by the same uvicorn, with the same options, as Attune, so the ratio of Attune's
requests per second to this app's is the cost of Attune's own work (routing, validation,
database, serialization) on top of the framework and server floor.

  GET  /ping   a constant small JSON: the floor of uvicorn + FastAPI.
  POST /write  inserts the posted JSON as one row of `bench_writes` and commits, through the
               same engine and session factories as Attune (`app.db`): the floor of one durable
               write through our driver stack (SQLAlchemy async session + aiosqlite/asyncpg).
  POST /write-raw  the same row into `bench_raw_writes` through the bare driver: an asyncpg
               pool (as large as Attune's) or one aiosqlite connection with Attune's pragmas
               and BEGIN IMMEDIATE: the floor of a durable write without SQLAlchemy, so the
               distance from the ORM floor to the real limit is measured too.

The database is `BENCH_DATABASE_URL` (an async SQLAlchemy URL); the table is created at
startup. Without that variable the app starts without a database and /write answers 503.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import aiosqlite
import asyncpg
from fastapi import Body, FastAPI, HTTPException, Request, status
from sqlalchemy import Column, MetaData, Table, Uuid, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import JSONType, UTCDateTime, create_engine, create_sessionmaker, utcnow

PATH = "/ping"
WRITE_PATH = "/write"
WRITE_TABLE = "bench_writes"
RAW_PATH = "/write-raw"
RAW_TABLE = "bench_raw_writes"
SQLITE_INSERT = "INSERT INTO bench_raw_writes (id, payload, created_at) VALUES (?, ?, ?)"
POSTGRES_INSERT = (
    "INSERT INTO bench_raw_writes (id, payload, created_at) VALUES ($1, $2::jsonb, $3)"
)
DATABASE_ENV = "BENCH_DATABASE_URL"

metadata = MetaData()
writes = Table(
    WRITE_TABLE,
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("payload", JSONType, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
raw_writes = Table(
    RAW_TABLE,
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("payload", JSONType, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


class RawSQLite:
    """One aiosqlite connection (Attune's SQLite pool has one too), one transaction at a time."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        self.lock = asyncio.Lock()

    async def write(self, row_id: uuid.UUID, payload: dict[str, Any]) -> None:
        """BEGIN IMMEDIATE, INSERT, COMMIT, as Attune's engine does on SQLite."""
        row = (row_id.hex, json.dumps(payload), utcnow().isoformat(" "))
        async with self.lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                await self.connection.execute(SQLITE_INSERT, row)
                await self.connection.commit()
            except BaseException:
                await self.connection.rollback()
                raise


class RawPostgres:
    """An asyncpg pool; each write one transaction on a pooled connection."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def write(self, row_id: uuid.UUID, payload: dict[str, Any]) -> None:
        """BEGIN, INSERT, COMMIT through asyncpg alone."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                POSTGRES_INSERT,
                row_id,
                json.dumps(payload),
                utcnow(),
            )


async def open_raw(settings: Settings) -> RawSQLite | RawPostgres:
    """The bare driver on the same database as the engine."""
    url = make_url(settings.database_url)
    if settings.is_sqlite:
        connection = await aiosqlite.connect(url.database or "", timeout=30, isolation_level=None)
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON"):
            await connection.execute(f"PRAGMA {pragma}")
        return RawSQLite(connection)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    size = settings.database_pool_size
    return RawPostgres(await asyncpg.create_pool(dsn, min_size=1, max_size=size))


async def close_raw(raw: RawSQLite | RawPostgres) -> None:
    """Close the bare driver's connection or pool."""
    if isinstance(raw, RawSQLite):
        await raw.connection.close()
    else:
        await raw.pool.close()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Attune's engine and sessionmaker on BENCH_DATABASE_URL, and the table /write fills."""
    url = os.environ.get(DATABASE_ENV)
    if not url:
        app.state.sessionmaker = app.state.raw = None
        yield
        return
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.raw = await open_raw(settings)
    try:
        yield
    finally:
        await close_raw(app.state.raw)
        await engine.dispose()


app = FastAPI(
    title="bench baseline", openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan
)


@app.get(PATH)
async def ping() -> dict[str, str]:
    """A constant small JSON object."""
    return {"status": "ok"}


@app.post(WRITE_PATH, status_code=status.HTTP_201_CREATED)
async def write(request: Request, payload: Annotated[dict[str, Any], Body()]) -> dict[str, str]:
    """Insert `payload` as one new row and commit before answering, as Attune's session does."""
    sessionmaker: async_sessionmaker[AsyncSession] | None = request.app.state.sessionmaker
    if sessionmaker is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"{DATABASE_ENV} is not set")
    row_id = uuid.uuid4()
    async with sessionmaker() as session:
        values = {"id": row_id, "payload": payload, "created_at": utcnow()}
        await session.execute(writes.insert(), values)
        await session.commit()
    return {"id": str(row_id)}


@app.post(RAW_PATH, status_code=status.HTTP_201_CREATED)
async def write_raw(request: Request, payload: Annotated[dict[str, Any], Body()]) -> dict[str, str]:
    """Insert `payload` as one new row through the bare driver and commit before answering."""
    raw: RawSQLite | RawPostgres | None = request.app.state.raw
    if raw is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"{DATABASE_ENV} is not set")
    row_id = uuid.uuid4()
    await raw.write(row_id, payload)
    return {"id": str(row_id)}
