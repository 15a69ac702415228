"""Fixtures of the security tests: callers of every kind, and the app the fuzzer calls.

schemathesis runs an ASGI app on its own event loop in its own thread, so the fuzzer gets a
second app instance per database (started once per run) on the same test database as the
`app` fixture, which makes the callers' rows and tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from schemathesis.python import asgi

from app.accounts.models import ADMIN, THERAPIST, User
from app.accounts.tokens import issue_token
from app.config import Settings
from app.main import create_app
from app.respondents.service import create_respondent
from tests.accounts.staff import PASSWORD, new_user
from tests.intake.links import make_link

RESEARCHER = "researcher"
RESPONDENT = "respondent"
INTAKE = "intake"
ANONYMOUS = "anonymous"

#: Every kind of caller: the three staff roles, the two respondent tokens, and nobody.
ROLES = (ADMIN, THERAPIST, RESEARCHER, RESPONDENT, INTAKE, ANONYMOUS)
STAFF_ROLES = (ADMIN, THERAPIST, RESEARCHER)
FUZZ_BASE_URL = f"http://{asgi.HOST}"


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Caller:
    """A principal's Authorization header; `renew` gets a new one after logout or erasure."""

    role: str
    headers: dict[str, str]
    renew: Callable[[], dict[str, str]] | None = None


async def respondent_token(app: FastAPI) -> str:
    """A new anonymous respondent's token."""
    async with app.state.sessionmaker.begin() as session:
        _, token = await create_respondent(session, locale=None, research_consent=True)
    return token


async def staff_member(
    app: FastAPI, role: str, organization_id: uuid.UUID | None = None
) -> tuple[str, str, uuid.UUID]:
    """A staff member with a real password and a live token: (email, token, organization)."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@clinic.test"
    user_id, organization_id = await new_user(app, email, role, organization_id)
    async with app.state.sessionmaker.begin() as session:
        user = await session.get_one(User, user_id)
        token = await issue_token(session, user, timedelta(hours=1))
    return email, token, organization_id


def fuzz_settings(database_url: str) -> Settings:
    """The fuzzed app's settings: those of the `app` fixture, with no webhook sender."""
    return Settings(
        database_url=database_url,
        environment="test",
        max_body_bytes=16 * 1024,
        webhook_poll_seconds=0,
    )


def _served(database_url: str) -> Iterator[FastAPI]:
    application = create_app(fuzz_settings(database_url))
    try:
        yield application
    finally:
        # Stopped before the database fixture drops the database under its connections.
        asgi.shutdown_lifespans()


@pytest.fixture(scope="session")
def sqlite_fuzzed(sqlite_url: str) -> Iterator[FastAPI]:
    """The fuzzed app on the SQLite test database (started by its first request)."""
    yield from _served(sqlite_url)


@pytest.fixture(scope="session")
def postgresql_fuzzed(postgresql_url: str) -> Iterator[FastAPI]:
    """The fuzzed app on the PostgreSQL test database (started by its first request)."""
    yield from _served(postgresql_url)


@pytest.fixture
def fuzzed(request: pytest.FixtureRequest, database_url: str) -> Iterator[requests.Session]:
    """A `requests` session into the fuzzed app on this test's database."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    served: FastAPI = request.getfixturevalue(f"{backend}_fuzzed")
    with asgi.get_client(served) as session:
        yield session


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    """Each kind of caller in turn."""
    return str(request.param)


@pytest.fixture
async def caller(app: FastAPI, fuzzed: requests.Session, role: str) -> Caller:
    """A live principal of the role, renewed over the fuzzed app's own API."""

    def post(path: str, **kwargs: Any) -> dict[str, str]:
        response = fuzzed.post(f"{FUZZ_BASE_URL}{path}", **kwargs)
        assert response.ok, response.text
        body = response.json()
        return bearer(body.get("token") or body["access_token"])

    if role in STAFF_ROLES:
        email, token, _ = await staff_member(app, role)
        login = {"username": email, "password": PASSWORD}
        return Caller(role, bearer(token), lambda: post("/v1/auth/token", data=login))
    if role == RESPONDENT:
        token = await respondent_token(app)
        return Caller(role, bearer(token), lambda: post("/v1/respondents", json={}))
    if role == INTAKE:
        return Caller(role, bearer((await make_link(app)).token))
    return Caller(role, {})
