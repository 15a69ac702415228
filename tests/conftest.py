"""Shared fixtures: each database test runs on SQLite and on PostgreSQL.

The schema is made by the real Alembic migrations, once per database per run. Tests talk to
the app over HTTP (httpx through ASGI) with real commits, so "an error changes nothing" and
idempotent retries are tested as they behave in production; rows are deleted after each test.

PostgreSQL: set ATTUNE_TEST_POSTGRES_URL (postgresql+asyncpg://user@host/db); each run makes a
fresh database next to that one and drops it at the end. Without it the PostgreSQL tests skip,
unless ATTUNE_TEST_REQUIRE_POSTGRES=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.main import create_app
from app.migrations import upgrade
from app.models import StoredDefinition, metadata
from tests.mailserver import MailServer, send_email_through, smtp_server

#: Fixtures shared beyond one folder: `chromium` for every browser test.
pytest_plugins = ["tests.browser"]

# Outside development the app refuses to start without a real secret; the tests run as "test"
# (in this process and in the servers they start), so the whole session gets one.
os.environ.setdefault("ATTUNE_SECRET_KEY", "test-only-secret-" + "0123456789abcdef" * 2)
# Emails sent without an SMTP server are files: keep them out of the working tree.
os.environ.setdefault("ATTUNE_MAIL_OUTBOX_DIR", tempfile.mkdtemp(prefix="attune-test-outbox-"))

POSTGRES_URL = os.environ.get("ATTUNE_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("ATTUNE_TEST_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def migrate(url: str) -> None:
    """Run the real migrations against a database."""
    upgrade(url)


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file for this run."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'attune.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this run, dropped at the end."""
    if not POSTGRES_URL:
        message = "PostgreSQL tests need ATTUNE_TEST_POSTGRES_URL"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (ATTUNE_TEST_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    name = f"attune_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated database: each test using it runs once per backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for a test app on the test database."""
    return Settings(database_url=database_url, environment="test", max_body_bytes=16 * 1024)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """A started app; every row a test wrote is deleted afterwards."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
        await clear_rows(application.state.engine)


async def clear_rows(engine: AsyncEngine) -> None:
    """Delete what tests wrote (the definitions stay: every app start records them)."""
    async with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name != StoredDefinition.__tablename__:
                await connection.execute(delete(table))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
        yield http


async def new_respondent(client: httpx.AsyncClient, **body: Any) -> dict[str, str]:
    """Create a respondent over the API; return its Authorization header."""
    response = await client.post("/v1/respondents", json=body)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    """The Authorization header of a fresh respondent."""
    return await new_respondent(client)


async def snapshot(app: FastAPI) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: compare two to prove a request changed nothing."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with app.state.engine.connect() as connection:
        for table in metadata.sorted_tables:
            result = await connection.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in result]
    return rows


async def count(app: FastAPI, table: str) -> int:
    """How many rows a table has."""
    async with app.state.engine.connect() as connection:
        return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608


async def new_staff(
    app: FastAPI, role: str, organization_id: uuid.UUID | None = None, email: str | None = None
) -> tuple[dict[str, str], uuid.UUID, uuid.UUID]:
    """A staff member (a new organization unless one is given) with a live token.

    Returns (Authorization header, user id, organization id). The password is not usable:
    tests of login make their users through the API or the CLI.
    """
    from datetime import timedelta

    from app.accounts.models import Organization, User
    from app.accounts.tokens import issue_token

    async with app.state.sessionmaker.begin() as session:
        if organization_id is None:
            organization = Organization(name=f"Clinic {uuid.uuid4().hex[:6]}")
            session.add(organization)
            await session.flush()
            organization_id = organization.id
        user = User(
            organization_id=organization_id,
            email=email or f"{role}-{uuid.uuid4().hex[:8]}@clinic.test",
            password_hash="!unusable",
            role=role,
        )
        session.add(user)
        await session.flush()
        token = await issue_token(session, user, timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}, user.id, organization_id


@pytest.fixture
def mail() -> Iterator[MailServer]:
    """A real SMTP server (aiosmtpd) for the test, with the mailbox it fills."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailing_app(app: FastAPI, mail: MailServer) -> FastAPI:
    """The app with its outbox email channel pointed at the test SMTP server."""
    return send_email_through(app, mail)
