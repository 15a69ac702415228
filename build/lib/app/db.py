"""Database plumbing: the declarative base, column types, engines and the request session.

One session per request: it commits once, after the route returns and before the response is
sent (so a 2xx is only sent for a durable write), and rolls back on any error. Services flush
when they need ids and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from sqlalchemy import JSON, DateTime, MetaData, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.config import Settings

# Postgres-style names, so migrations name constraints the same on every database.
NAMING_CONVENTION = {
    "ix": "%(table_name)s_%(column_0_N_name)s_idx",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime,
        dict[str, Any]: JSONType,
        list[dict[str, Any]]: JSONType,
    }


class UUIDPrimaryKey:
    """A random UUID primary key: ids in URLs are never guessable or sequential."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    """Creation and update times, set by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def create_engine(settings: Settings) -> AsyncEngine:
    """An async engine for the configured database, tuned per dialect.

    `hide_parameters`: error messages and echo never show bound values (answers, hashes).
    """
    if settings.is_sqlite:
        # One connection per process: SQLite has one writer at a time anyway, and requests
        # queueing for the pool wake in order, whereas requests contending for the file lock
        # poll in SQLite's busy handler with sleeps of up to 100 ms (p99 over 1 s under load).
        engine = create_async_engine(
            settings.database_url,
            echo=settings.database_echo,
            hide_parameters=True,
            connect_args={"timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        settings.database_url,
        echo=settings.database_echo,
        hide_parameters=True,
        pool_size=settings.database_pool_size,
        pool_pre_ping=True,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, foreign keys, and write-locking transactions.

    The driver's own transaction handling is switched off so that SQLAlchemy's BEGIN is the
    one that runs. It is BEGIN IMMEDIATE: a deferred transaction that reads and then writes
    can fail with "database is locked" when another writer got in between, whatever the busy
    timeout; taking the write lock up front makes concurrent requests queue instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def insert_unless_exists(session: AsyncSession, row: Base, unique: list[str]) -> bool:
    """INSERT a new row unless one with the same `unique` columns exists; True if inserted.

    One statement (INSERT … ON CONFLICT DO NOTHING RETURNING), race-free on both databases:
    cheaper than look-up, savepoint, insert and release on the hot path of a submission. The
    row must carry its primary key; unset columns take their defaults.
    """
    table = cast(Table, row.__table__)
    values = {
        attr.key: getattr(row, attr.key)
        for attr in row.__mapper__.column_attrs
        if getattr(row, attr.key) is not None
    }
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(*table.primary_key.columns)
    )
    # Values as parameters, not .values(): the statement then compiles once and is cached.
    return (await session.execute(statement, values)).first() is not None


async def insert_row(session: AsyncSession, row: Base) -> None:
    """INSERT one new row as a single Core statement, without the unit of work's overhead."""
    values = {a.key: getattr(row, a.key) for a in row.__mapper__.column_attrs}
    await session.execute(cast(Table, row.__table__).insert(), values)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (responses render after it)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: committed once if the route succeeded, rolled back otherwise."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


# scope="function": the commit runs before the response is sent, never after it.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
