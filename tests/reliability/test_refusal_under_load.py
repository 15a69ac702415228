"""The real server under load while PostgreSQL refuses connections: 503s, then recovery.

Concurrent clients send one-shot submissions to `attune serve`. After REFUSE_AFTER answers the
test database stops accepting connections (`ALLOW_CONNECTIONS false`) and its backends are
terminated, requests in flight included; after HEAL_AFTER answers of 503 it accepts them again.
Every answer must be 201 or 503 with Retry-After (never a 500); then every submission that got
a 503 is sent again until stored, and each must be stored exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import clear_rows
from tests.reliability.faults import (
    HANG,
    admin,
    assert_stored_once,
    database_name,
    terminate_backends,
)
from tests.reliability.serving import start_server

SUBMISSIONS = 400
CLIENTS = 8
REFUSE_AFTER = 100  # answers before the database refuses connections
HEAL_AFTER = 40  # answers of 503 before it accepts them again

pytestmark = pytest.mark.slow


class Run:
    """What the clients sent and got, and the fault's switches."""

    def __init__(self, bodies: list[dict[str, Any]]) -> None:
        self.bodies = bodies
        self.statuses: dict[int, int] = {}
        self.acknowledged: dict[str, str] = {}
        self.unavailable: list[int] = []
        self.refusing = asyncio.Event()
        self.healed = asyncio.Event()


async def _set_allow_connections(url: str, allow: bool) -> None:
    async with admin() as connection:
        await connection.execute(
            f'ALTER DATABASE "{database_name(url)}" ALLOW_CONNECTIONS {str(allow).lower()}'
        )


async def _fault(url: str, run: Run) -> None:
    """Refuse when REFUSE_AFTER answers have come, accept again after HEAL_AFTER 503s."""
    await run.refusing.wait()
    await _set_allow_connections(url, False)
    await terminate_backends(url)
    await run.healed.wait()
    await _set_allow_connections(url, True)


def _note(run: Run, index: int, response: httpx.Response) -> None:
    run.statuses[index] = response.status_code
    if response.status_code == 201:
        run.acknowledged[run.bodies[index]["id"]] = response.json()["assessment"]["id"]
    else:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) > 0
        run.unavailable.append(index)
    if len(run.statuses) >= REFUSE_AFTER:
        run.refusing.set()
    if len(run.unavailable) >= HEAL_AFTER:
        run.healed.set()


async def _load(http: httpx.AsyncClient, run: Run, auth: dict[str, str]) -> None:
    queue = list(reversed(range(SUBMISSIONS)))

    async def client() -> None:
        while queue:
            index = queue.pop()
            response = await http.post("/v1/submissions", json=run.bodies[index], headers=auth)
            _note(run, index, response)

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


async def test_refused_connections_under_load_answer_503_and_lose_nothing(
    postgresql_url: str, tmp_path: Path
) -> None:
    engine = create_async_engine(postgresql_url, pool_pre_ping=True)  # its backends die too
    await clear_rows(engine)
    server = start_server(postgresql_url, tmp_path / "server.log")
    fault: asyncio.Task[None] | None = None
    try:
        limits = httpx.Limits(max_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=HANG) as http:
            token = (await http.post("/v1/respondents", json={})).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            definition = (await http.get("/v1/questionnaires/three-item-loneliness")).json()
            bodies = [
                {
                    "id": str(uuid.uuid4()),
                    "questionnaire_id": definition["id"],
                    "answers": {i["id"]: i["options"][n % 3]["value"] for i in definition["items"]},
                    "answered_at": "2026-11-20T08:30:00Z",
                }
                for n in range(SUBMISSIONS)
            ]
            run = Run(bodies)
            fault = asyncio.create_task(_fault(postgresql_url, run))
            await _load(http, run, auth)
            assert run.healed.is_set(), "the fault must have shown as 503s"
            await asyncio.wait_for(fault, HANG)
            # Send each 503 again: stored now (201), or already stored before its answer (200).
            for index in run.unavailable:
                retry = await http.post("/v1/submissions", json=bodies[index], headers=auth)
                assert retry.status_code in (200, 201), retry.text
                run.acknowledged[bodies[index]["id"]] = retry.json()["assessment"]["id"]
        assert len(run.acknowledged) == SUBMISSIONS
        await assert_stored_once(engine, run.acknowledged, [])
        print(
            f"\nrefusal under load: {SUBMISSIONS} submissions from {CLIENTS} clients; "
            f"{len(run.unavailable)} answered 503 with Retry-After, none 500; all stored once"
        )
    finally:
        if fault is not None and not fault.done():
            fault.cancel()
        await _set_allow_connections(postgresql_url, True)
        server.stop()
        await clear_rows(engine)
        await engine.dispose()
