"""The exports' own database connections: read-only, never write-locking, capped, always closed.

An export streams for as long as its client reads, and a client may stop reading or vanish
at any point. Were it to stream through the app's pool, on SQLite it would hold the app's one
connection, and with it the write lock its BEGIN IMMEDIATE takes, until it ended; on
PostgreSQL enough unread exports would empty the pool. So exports read through an engine of
their own: on SQLite connections with `query_only` and a deferred BEGIN, which in WAL mode
never block a writer (nor are blocked by one); on PostgreSQL READ ONLY transactions. Its pool
holds as many connections as exports may run at once (ATTUNE_RESEARCH_MAX_EXPORTS per
worker); one more export is refused at once with 429 and Retry-After, not queued. Closing a
connection is shielded from cancellation: a client that disconnects cancels the export's
task, and an unshielded close would be cancelled too, leaving the connection checked out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.config import Settings
from app.db import JSON_OPTIONS, ping_on_checkout
from app.errors import TooManyRequests

RETRY_AFTER_SECONDS = 30  # an export of a few hundred thousand rows takes about this long


class ExportsBusy(TooManyRequests):
    """As many exports as allowed are streaming already; try again after `retry_after`."""

    type = "urn:attune:problem:exports-busy"
    title = "Too many exports at once"


class ExportReaders:
    """The engine exports read through, and the slots that cap how many run at once."""

    def __init__(self, settings: Settings) -> None:
        self.capacity = settings.research_max_exports
        self.engine = reader_engine(settings, self.capacity)
        self.busy = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots for an export's whole life; none free: ExportsBusy (429)."""
        if self.busy >= self.capacity:
            raise ExportsBusy(
                f"{self.capacity} export(s) are streaming already, as many as this server "
                "runs at once (ATTUNE_RESEARCH_MAX_EXPORTS); try again shortly.",
                retry_after=RETRY_AFTER_SECONDS,
            )
        self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A read-only connection, closed (its transaction rolled back) even when cancelled."""
        connection = await self.engine.connect()
        try:
            yield connection
        finally:
            with anyio.CancelScope(shield=True):
                await connection.close()

    async def dispose(self) -> None:
        """Close every pooled connection (at shutdown)."""
        await self.engine.dispose()


def reader_engine(settings: Settings, size: int) -> AsyncEngine:
    """An engine whose transactions only read: `size` connections, no overflow."""
    options: dict[str, Any] = {
        "pool_size": size,
        "max_overflow": 0,
        "hide_parameters": True,
        **JSON_OPTIONS,
    }
    if not settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url, execution_options={"postgresql_readonly": True}, **options
        )
        ping_on_checkout(engine)
        return engine
    engine = create_async_engine(settings.database_url, connect_args={"timeout": 30}, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's BEGIN below is the one that runs
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN DEFERRED")

    return engine
