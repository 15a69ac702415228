"""Database plumbing: the declarative base, column types, engines and the request session.

One session per request: it commits once, after the route returns and before the response is
sent (so a 2xx is only sent for a durable write), and rolls back on any error. Services flush
when they need ids and never commit.

Every wait on PostgreSQL is bounded (connecting, waiting for a pooled connection, each
statement), and a failure that says "not now" rather than "wrong" (connecting failed, the
connection broke, the server refuses or is shutting down, a timeout) is raised as
`DatabaseUnavailable`, which the app answers with 503 and Retry-After.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, cast

import orjson
from fastapi import Depends, Request
from sqlalchemy import JSON, DateTime, MetaData, Table, event, exc, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.config import Settings
from app.dbpool import FairQueuePool

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


def dump_json(value: Any) -> str:
    """A JSON column's text: orjson, keys that are not strings written as strings (as json.dumps).

    A result's score is about 5 KB of JSON on every submission; orjson encodes it in a tenth
    of the standard library's time (issue 15). Reading goes through `orjson.loads` too.
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


#: `create_async_engine` options of every engine of ours: JSON columns through orjson.
JSON_OPTIONS: dict[str, Any] = {"json_serializer": dump_json, "json_deserializer": orjson.loads}


def create_engine(settings: Settings) -> AsyncEngine:
    """An async engine for the configured database, tuned per dialect.

    `hide_parameters`: error messages and echo never show bound values (answers, hashes).
    JSON columns are written and read with orjson (`dump_json`).
    """
    if settings.is_sqlite:
        # One connection per process: SQLite has one writer at a time anyway, and requests
        # queueing for the pool wake in order, whereas requests contending for the file lock
        # poll in SQLite's busy handler with sleeps of up to 100 ms (p99 over 1 s under load).
        engine = create_async_engine(
            settings.database_url,
            echo=settings.database_echo,
            hide_parameters=True,
            **JSON_OPTIONS,
            connect_args={"timeout": 30},
            poolclass=FairQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        _configure_sqlite(engine)
        _report_unavailability(engine)
        return engine
    server_settings = {}
    if settings.database_statement_timeout_seconds:
        milliseconds = round(settings.database_statement_timeout_seconds * 1000)
        server_settings["statement_timeout"] = str(milliseconds)
    engine = create_async_engine(
        settings.database_url,
        echo=settings.database_echo,
        hide_parameters=True,
        **JSON_OPTIONS,
        # The cap is pool_size + max_overflow connections per worker process; an overflow
        # connection is opened for one use and closed again, so the default is none.
        # Checkouts are served in arrival order (app.dbpool).
        poolclass=FairQueuePool,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
        connect_args={
            "timeout": settings.database_connect_timeout_seconds,
            "server_settings": server_settings,
        },
    )
    ping_on_checkout(engine)
    _report_unavailability(engine)
    return engine


_FRESH = "attune.fresh"


def ping_on_checkout(engine: AsyncEngine) -> None:
    """Check a pooled PostgreSQL connection with one round trip before it is handed out.

    What `pool_pre_ping` does, for a third of its cost: SQLAlchemy's ping on asyncpg is a
    BEGIN, an empty statement and a ROLLBACK (three round trips, for PgBouncer's transaction
    mode) on every checkout. This is one `SELECT 1` through the simple-query protocol, which
    needs no prepared statement, so it suits PgBouncer too. A connection just opened is not
    pinged. A failed ping invalidates the whole pool, as a failed pre-ping does (after a
    restart every pooled connection is gone), and the checkout goes on with a new connection.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _opened(_dbapi_connection: Any, record: Any) -> None:
        record.info[_FRESH] = True

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.pop(_FRESH, False):
            return
        try:
            dbapi_connection.run_async(lambda connection: connection.execute("SELECT 1"))
        except Exception as error:
            raise exc.InvalidatePoolError("a pooled connection failed its ping") from error


class DatabaseUnavailable(Exception):
    """The database cannot serve this request now; the same request may succeed later.

    Its cause is the driver's error. Nothing of the request was stored: the transaction is
    rolled back (or the connection is gone with it).
    """


#: SQLSTATE classes after which a retry may succeed: connection exception (08), insufficient
#: resources (53: too many connections, disk full, out of memory), operator intervention (57:
#: statement timeout 57014, administrator shutdown or terminated backend 57P01-57P05).
_UNAVAILABLE_CLASSES = frozenset({"08", "53", "57"})
#: Single codes of the same kind: the database does not accept connections (55000), an object
#: in use (55006), a lock timeout (55P03), a serialization failure or deadlock (40001, 40P01).
_UNAVAILABLE_STATES = frozenset({"55000", "55006", "55P03", "40001", "40P01"})


def is_unavailable(error: BaseException, *, disconnected: bool = False) -> bool:
    """Whether a driver error means "the database cannot serve now", not "this is wrong"."""
    if disconnected or isinstance(error, OSError | TimeoutError):
        return True
    sqlstate = str(getattr(error, "sqlstate", None) or "")
    return sqlstate[:2] in _UNAVAILABLE_CLASSES or sqlstate in _UNAVAILABLE_STATES


def _report_unavailability(engine: AsyncEngine) -> None:
    """Raise `DatabaseUnavailable` for every failure to connect, and for transient errors."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        # Connecting fails with the driver's own errors (a refused TCP connection is a bare
        # OSError, which SQLAlchemy does not wrap): whatever it is, the database is unavailable.
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as error:
            raise DatabaseUnavailable("cannot connect to the database") from error

    @event.listens_for(engine.sync_engine, "handle_error")
    def _classify(context: ExceptionContext) -> BaseException | None:
        error = context.original_exception
        # A failed pre-ping is SQLAlchemy's cue to reconnect, and a cancellation (a deadline,
        # a client gone) must stay a cancellation: neither is ours to replace.
        if context.is_pre_ping or not isinstance(error, Exception):
            return None
        if is_unavailable(error, disconnected=context.is_disconnect):
            return DatabaseUnavailable("the database cannot serve the request now")
        return None


async def set_statement_timeout(connection: AsyncConnection | AsyncSession, seconds: float) -> None:
    """Override the statement timeout for the rest of this transaction (0: none).

    PostgreSQL only (SQLite has none); the connection returns to the pool with the default of
    `ATTUNE_DATABASE_STATEMENT_TIMEOUT_SECONDS`. For work known to run long, such as an export.
    """
    bind = connection.bind if isinstance(connection, AsyncSession) else connection
    if bind is not None and bind.dialect.name == "postgresql":
        await connection.execute(text(f"SET LOCAL statement_timeout = {round(seconds * 1000)}"))


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


def create_autocommit_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for requests that need no transaction (`no_transaction`).

    On PostgreSQL their statements run in autocommit mode, each on its own: no BEGIN and no
    COMMIT round trip. SQLite keeps its usual transaction (its round trips are in process).
    """
    if engine.dialect.name != "postgresql":
        return create_sessionmaker(engine)
    return create_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


async def no_transaction(request: Request) -> None:
    """Give this request a session without a transaction (`create_autocommit_sessionmaker`).

    For routes whose statements are safe one by one: reads, and a single write that guards
    itself (an UPDATE of an assessment checks its `revision`, so a save based on a stale read
    fails with 412 whether or not a transaction surrounds it). On PostgreSQL each statement
    commits when it runs, so such a route validates everything before it writes. Declare it
    in the route's `dependencies=`, which FastAPI solves before the parameters'
    dependencies, so it is set before the session is made. (Async, so that FastAPI does not
    send it to a worker thread as it does a plain function.)
    """
    request.state.no_transaction = True


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: committed once if the route succeeded, rolled back otherwise."""
    state = request.app.state
    statementwise = getattr(request.state, "no_transaction", False)
    sessionmaker: async_sessionmaker[AsyncSession] = (
        state.autocommit_sessionmaker if statementwise else state.sessionmaker
    )
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


# scope="function": the commit runs before the response is sent, never after it.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
