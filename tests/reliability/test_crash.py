"""Durability under a crash: SIGKILL the real server mid-load, restart it, retry, check.

Concurrent clients send one-shot submissions (each with its own client id: the idempotency
key). After KILL_AFTER answers the server is killed with SIGKILL: no shutdown, requests in
flight are cut off, some of them after their commit. The server is restarted on the same
database and every request that got no answer is sent again, unchanged; so is every one that
did, to check that a retry returns the original. Then the database must hold each submission
exactly once, each with its result, and nothing half-written.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.assessments.models import SUBMITTED, Assessment, Result
from tests.conftest import clear_rows
from tests.reliability.serving import Server, start_server

REQUESTS = 2000
CONCURRENCY = 16
KILL_AFTER = 700
RESPONDENTS = 4
QUESTIONNAIRES = ("window-of-tolerance", "connection")

pytestmark = pytest.mark.slow


@dataclass
class Ledger:
    """What each request (by index) got: its first 2xx answer, or nothing yet."""

    bodies: list[dict[str, Any]]
    headers: list[dict[str, str]]
    first: dict[int, dict[str, Any]] = field(default_factory=dict)
    unanswered: set[int] = field(default_factory=set)
    killed: bool = False
    replayed_after_restart: int = 0


async def _prepare(base_url: str, seed: int) -> Ledger:
    """Respondents over the API, and REQUESTS submissions spread over them."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base_url) as http:
        tokens = [(await http.post("/v1/respondents", json={})).json()["token"] for _ in range(4)]
        definitions = [(await http.get(f"/v1/questionnaires/{q}")).json() for q in QUESTIONNAIRES]
    bodies, headers = [], []
    for _ in range(REQUESTS):
        definition = rng.choice(definitions)
        answers = {i["id"]: rng.choice(i["options"])["value"] for i in definition["items"]}
        bodies.append(
            {
                "id": str(uuid.uuid4()),
                "questionnaire_id": definition["id"],
                "answers": answers,
                "answered_at": "2026-11-20T08:30:00Z",
            }
        )
        headers.append({"Authorization": f"Bearer {rng.choice(tokens)}"})
    return Ledger(bodies, headers)


async def _send(
    base_url: str,
    ledger: Ledger,
    indices: list[int],
    on_answer: Callable[[int, httpx.Response], None],
) -> None:
    """Send the submissions at `indices` from CONCURRENCY clients; no answer is noted."""
    queue = list(reversed(indices))
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:

        async def client() -> None:
            while queue and not ledger.killed:
                index = queue.pop()
                try:
                    response = await http.post(
                        "/v1/submissions", json=ledger.bodies[index], headers=ledger.headers[index]
                    )
                except httpx.TransportError:
                    ledger.unanswered.add(index)
                    continue
                on_answer(index, response)

        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))


async def _load_and_kill(server: Server, ledger: Ledger) -> None:
    """Phase one: send everything; SIGKILL the server when KILL_AFTER answers have come."""

    def on_answer(index: int, response: httpx.Response) -> None:
        assert response.status_code == 201, response.text
        ledger.first[index] = response.json()
        if len(ledger.first) == KILL_AFTER:
            server.kill()  # synchronous: nothing else runs until the process is gone
            ledger.killed = True  # the clients stop taking new work; what they hold fails

    await _send(server.base_url, ledger, list(range(REQUESTS)), on_answer)


async def _retry(base_url: str, ledger: Ledger) -> None:
    """Phase two: every request again, unchanged; a retry must get the original answer."""
    ledger.killed = False
    pending = sorted(set(range(REQUESTS)) - set(ledger.first))
    ledger.unanswered.clear()

    def on_answer(index: int, response: httpx.Response) -> None:
        assert response.status_code in (200, 201), response.text
        body = response.json()
        if index in ledger.first:
            assert response.status_code == 200
            assert response.headers["idempotent-replayed"] == "true"
            assert body == ledger.first[index], "a retry must return the original result"
            return
        # Unanswered before the crash: stored then (a replay) or not at all (stored now).
        ledger.replayed_after_restart += response.status_code == 200
        ledger.first[index] = body

    await _send(base_url, ledger, pending, on_answer)
    assert not ledger.unanswered, "the restarted server must answer every retry"
    await _send(base_url, ledger, sorted(set(range(REQUESTS)) - set(pending)), on_answer)
    assert not ledger.unanswered


async def _stored(engine: AsyncEngine, ledger: Ledger) -> dict[uuid.UUID, list[Any]]:
    """Every assessment of the test's respondents by client id, joined to its results."""
    client_ids = [uuid.UUID(body["id"]) for body in ledger.bodies]
    statement = (
        select(Assessment.client_id, Assessment.id, Assessment.status, Result.id)
        .outerjoin(Result, Result.assessment_id == Assessment.id)
        .where(Assessment.client_id.in_(client_ids))
    )
    rows: dict[uuid.UUID, list[Any]] = {}
    async with engine.connect() as connection:
        for client_id, *row in await connection.execute(statement):
            rows.setdefault(client_id, []).append(row)
    return rows


async def _assert_consistent(engine: AsyncEngine, ledger: Ledger) -> None:
    """Each submission stored once, with its result, as answered; nothing half-written."""
    stored = await _stored(engine, ledger)
    assert len(stored) == REQUESTS
    for index, body in enumerate(ledger.bodies):
        [(assessment_id, status, result_id)] = stored[uuid.UUID(body["id"])]
        assert status == SUBMITTED
        assert result_id is not None, "a submitted assessment without its result"
        answer = ledger.first[index]
        assert str(assessment_id) == answer["assessment"]["id"]
    async with engine.connect() as connection:
        orphans = select(func.count()).select_from(Result).outerjoin(Assessment)
        assert (await connection.scalar(orphans.where(Assessment.id.is_(None)))) == 0
        unscored = select(func.count()).select_from(Assessment).outerjoin(Result)
        unscored = unscored.where(Assessment.status == SUBMITTED, Result.id.is_(None))
        assert (await connection.scalar(unscored)) == 0


async def test_acknowledged_submissions_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    engine = create_async_engine(database_url)
    await clear_rows(engine)  # a fresh database: only this test's rows are counted
    log = tmp_path / "server.log"
    server = start_server(database_url, log)
    try:
        ledger = await _prepare(server.base_url, seed=5)
        await _load_and_kill(server, ledger)
        answered, in_flight = len(ledger.first), len(ledger.unanswered)
        server = start_server(database_url, log)
        await _retry(server.base_url, ledger)
        server.stop()
        await _assert_consistent(engine, ledger)
        print(
            f"\ncrash test ({engine.dialect.name}): {REQUESTS} submissions from {CONCURRENCY} "
            f"clients, SIGKILL after {KILL_AFTER} answers; {answered} answered, {in_flight} cut "
            f"off in flight ({ledger.replayed_after_restart} of them stored before the kill), "
            f"{REQUESTS - answered - in_flight} not yet sent; {REQUESTS - answered} retried and "
            f"{answered} re-sent after restart: every one stored once with its result"
        )
    finally:
        server.stop()
        await clear_rows(engine)
        await engine.dispose()
