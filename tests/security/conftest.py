"""Fixtures of the security tests: the app the fuzzer calls, and callers of every kind.

schemathesis runs an ASGI app on its own event loop in its own thread, so the fuzzer gets a
second app instance per database (started by its first request, stopped at the end of the
run) on the same test database as the `app` fixture, which builds the world (world.py) whose
principals and objects the fuzzer uses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import requests
from fastapi import FastAPI
from schemathesis.python import asgi

from app.accounts.models import ADMIN, RESEARCHER, THERAPIST
from app.config import Settings
from app.main import create_app
from tests.security.world import INTAKE, RESPONDENT, build_world

ANONYMOUS = "anonymous"
FUZZ_BASE_URL = f"http://{asgi.HOST}"

#: Each kind of caller, as the world principal that plays it.
ROLES = {
    ADMIN: "admin_a",
    THERAPIST: "therapist_a",
    RESEARCHER: "researcher_a",
    RESPONDENT: "respondent_a",
    INTAKE: "intake_a",
    ANONYMOUS: "anonymous",
}
#: Path parameters naming organization A's objects, as World.ids keys.
STAFF_OBJECTS = {
    "client_id": "client",
    "invitation_id": "invitation",
    "result_id": "result",
    "user_id": "therapist_a2",
    "study_id": "study",
}
OBJECTS = {
    RESPONDENT: {"assessment_id": "own_assessment"},
    INTAKE: {"assessment_id": "intake_assessment"},
}

#: Requests the fuzzer sent, per database, printed at the end of the run.
FUZZ_SENT: Counter[str] = Counter()


@dataclass
class Caller:
    """A principal's Authorization header and the ids of objects it may try to reach."""

    role: str
    headers: dict[str, str]
    ids: dict[str, str]


def fuzz_settings(database_url: str) -> Settings:
    """The fuzzed app's settings: those of the `app` fixture, with no webhook sender."""
    return Settings(
        database_url=database_url,
        environment="test",
        max_body_bytes=16 * 1024,
        outbox_poll_seconds=0,
    )


def _served(database_url: str) -> Iterator[FastAPI]:
    try:
        yield create_app(fuzz_settings(database_url))
    finally:
        # Stopped before the database fixture drops the database under its connections.
        asgi.shutdown_lifespans()


@pytest.fixture(scope="session")
def sqlite_fuzzed(sqlite_url: str) -> Iterator[FastAPI]:
    """The fuzzed app on the SQLite test database."""
    yield from _served(sqlite_url)


@pytest.fixture(scope="session")
def postgresql_fuzzed(postgresql_url: str) -> Iterator[FastAPI]:
    """The fuzzed app on the PostgreSQL test database."""
    yield from _served(postgresql_url)


@pytest.fixture
def fuzzed(request: pytest.FixtureRequest, database_url: str) -> Iterator[requests.Session]:
    """A `requests` session into the fuzzed app on this test's database."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    served: FastAPI = request.getfixturevalue(f"{backend}_fuzzed")
    with asgi.get_client(served) as session:
        yield session


@pytest.fixture(params=list(ROLES))
def role(request: pytest.FixtureRequest) -> str:
    """Each kind of caller in turn."""
    return str(request.param)


@pytest.fixture
async def caller(app: FastAPI, client: httpx.AsyncClient, role: str) -> Caller:
    """The role's principal in a fresh world, with the ids of the objects it may try."""
    world = await build_world(app, client)
    wanted = OBJECTS.get(
        role, STAFF_OBJECTS if role != ANONYMOUS else STAFF_OBJECTS | OBJECTS[RESPONDENT]
    )
    ids = {parameter: world.ids[key] for parameter, key in wanted.items()}
    return Caller(role, world.headers[ROLES[role]], ids)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many requests the fuzzer sent: the CI run must send at least 1,000."""
    if FUZZ_SENT:
        counts = ", ".join(f"{backend}: {sent}" for backend, sent in sorted(FUZZ_SENT.items()))
        terminalreporter.write_line(f"fuzzing: {FUZZ_SENT.total()} generated requests ({counts})")
