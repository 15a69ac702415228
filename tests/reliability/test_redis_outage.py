"""The rate-limit Redis goes down and comes back (a Redis this test starts on its own port).

Policy (app/ratelimit.py): nothing that needs a count is let through uncounted. Sign-ins
and new respondents get 503 with Retry-After, problem+json; an intake link's own token
never needs a count, so its form keeps working, and an unknown one gets an HTML 503 page;
/readyz says 503 until Redis answers again. Then everything works as before.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from tests.accounts.staff import PASSWORD, login, new_user
from tests.conftest import count, snapshot
from tests.intake.links import make_link
from tests.servers import free_port

EMAIL = "admin@clinic.test"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


@dataclass
class RedisServer:
    """A redis-server process of this test's own, on its own port, without persistence."""

    port: int
    process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start it and wait until it says it accepts connections."""
        self.process = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if "Ready to accept connections" in line:
                return
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        """Stop it and wait until it is gone."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A running Redis of this test's own; stopped at the end whatever happened."""
    server = RedisServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(database_url: str, redis_server: RedisServer) -> Settings:
    """The app counts in the test's Redis."""
    return Settings(
        database_url=database_url,
        environment="test",
        rate_limit_storage=f"async+redis://127.0.0.1:{redis_server.port}",
    )


async def test_without_redis_counts_are_503_and_links_keep_working(
    app: FastAPI, client: httpx.AsyncClient, redis_server: RedisServer
) -> None:
    await new_user(app, EMAIL)
    link = await make_link(app)
    assert (await login(client, EMAIL, PASSWORD)).status_code == 200
    assert (await client.get("/readyz")).status_code == 200

    redis_server.stop()
    tokens = await count(app, "user_tokens")
    before = await snapshot(app)
    refused = await login(client, EMAIL, PASSWORD)
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    new_respondent = await client.post("/v1/respondents", json={})
    assert new_respondent.status_code == 503
    assert "Retry-After" in new_respondent.headers
    assert await snapshot(app) == before  # nothing was issued or created
    assert (await client.get("/readyz")).status_code == 503

    form = await client.get(link.url)  # the link's own token needs no count
    assert form.status_code == 200
    assert (await client.post(link.url, data={"action": "save"})).status_code == 303
    unknown = await client.get("/intake/ati_not-a-real-link")
    assert unknown.status_code == 503
    assert unknown.headers["content-type"].startswith("text/html")
    assert unknown.headers["cache-control"] == "no-store"
    assert "Retry-After" in unknown.headers
    assert "not-a-real-link" not in unknown.text

    redis_server.start()
    assert (await client.get("/readyz")).status_code == 200
    assert (await login(client, EMAIL, PASSWORD)).status_code == 200
    assert await count(app, "user_tokens") == tokens + 1
    assert (await client.post("/v1/respondents", json={})).status_code == 201
    assert (await client.get("/intake/ati_not-a-real-link")).status_code == 404
