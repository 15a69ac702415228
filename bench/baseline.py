"""The baselines for `throughput.py`: a bare FastAPI app, with and without one durable write.

It is served by the same uvicorn, with the same options, as Attune, so the ratio of Attune's
requests per second to this app's is the cost of Attune's own work (routing, validation,
database, serialization) on top of the framework and server floor.

  GET  /ping   a constant small JSON: the floor of uvicorn + FastAPI.
  POST /write  inserts the posted JSON as one row of `bench_writes` and commits, through the
               same engine and session factories as Attune (`app.db`): the floor of one durable
               write through our driver stack (SQLAlchemy async session + aiosqlite/asyncpg).

The database is `BENCH_DATABASE_URL` (an async SQLAlchemy URL); the table is created at
startup. Without that variable the app starts without a database and /write answers 503.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException, Request, status
from sqlalchemy import Column, MetaData, Table, Uuid
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import JSONType, UTCDateTime, create_engine, create_sessionmaker, utcnow

PATH = "/ping"
WRITE_PATH = "/write"
WRITE_TABLE = "bench_writes"
DATABASE_ENV = "BENCH_DATABASE_URL"

metadata = MetaData()
writes = Table(
    WRITE_TABLE,
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("payload", JSONType, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Attune's engine and sessionmaker on BENCH_DATABASE_URL, and the table /write fills."""
    url = os.environ.get(DATABASE_ENV)
    if not url:
        app.state.sessionmaker = None
        yield
        return
    engine = create_engine(Settings(database_url=url))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    app.state.sessionmaker = create_sessionmaker(engine)
    try:
        yield
    finally:
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
