"""Security headers: on every answer, without overriding what a route chose for itself.

Headers do not depend on the database, so these run on SQLite only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.intake.pages import SECURITY_HEADERS as INTAKE_HEADERS
from app.main import create_app
from tests.conftest import clear_rows
from tests.intake.links import make_link

HSTS = "max-age=63072000; includeSubDomains"


async def _started(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
            http.app = application  # type: ignore[attr-defined]
            yield http
        await clear_rows(application.state.engine)


@pytest.fixture
async def plain(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app as configured by default (no HSTS)."""
    settings = Settings(database_url=sqlite_url, environment="test", max_body_bytes=16 * 1024)
    async for http in _started(settings):
        yield http


@pytest.fixture
async def behind_tls(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app told that it is reached over TLS only."""
    async for http in _started(Settings(database_url=sqlite_url, environment="test", hsts=True)):
        yield http


def _app(http: httpx.AsyncClient) -> FastAPI:
    application: FastAPI = http.app  # type: ignore[attr-defined]
    return application


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/v1/questionnaires", 200),
        ("POST", "/v1/respondents", 201),
        ("GET", "/v1/no-such-thing", 404),
        ("GET", "/v1/me/assessments", 401),
        ("GET", "/intake/ati_not-a-real-token", 404),
        ("GET", "/docs", 200),
    ],
)
async def test_every_answer_forbids_sniffing_and_referrers(
    plain: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await plain.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers


async def test_a_rejected_body_gets_them_too(plain: httpx.AsyncClient) -> None:
    # The body limit answers before any route runs: the headers must not depend on routing.
    response = await plain.post("/v1/respondents", content=b"x" * (17 * 1024))
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/respondents"), ("GET", "/v1/me/assessments"), ("GET", "/v1/concepts")],
)
async def test_api_answers_are_not_cached_or_framed_by_default(
    plain: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await plain.request(method, path, json={} if method == "POST" else None)
    assert response.headers["cache-control"] == "no-store"
    assert (
        response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    )


async def test_a_route_keeps_its_own_cache_policy(plain: httpx.AsyncClient) -> None:
    # Questionnaires are public and the same for everyone: caches may keep them.
    response = await plain.get("/v1/questionnaires/connection")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers.get_list("cache-control") == ["public, max-age=300"]


async def test_the_intake_page_keeps_its_own_policy(plain: httpx.AsyncClient) -> None:
    link = await make_link(_app(plain))
    response = await plain.get(link.url)
    assert response.status_code == 200
    for name, value in INTAKE_HEADERS.items():
        assert response.headers.get_list(name) == [value], name


async def test_hsts_only_when_the_operator_says_tls(behind_tls: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/v1/questionnaires", "/intake/ati_nothing"):
        response = await behind_tls.get(path)
        assert response.headers.get_list("strict-transport-security") == [HSTS], path


def test_hsts_is_off_unless_set() -> None:
    assert Settings().hsts is False
