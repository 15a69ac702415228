"""PostgreSQL faults answer 503 with Retry-After, never 500, and lose or double nothing.

Each test breaks the run's own test database (see tests/reliability/faults.py), checks the
answer under the fault, heals it, retries, and ends with the durability check: every
acknowledged submission is stored exactly once with its result.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from app.config import Settings
from app.db import set_statement_timeout
from app.main import create_app
from tests.reliability.faults import (
    HANG,
    CuttableLink,
    assert_stored_once,
    assert_unavailable,
    backend_waiting_for_lock,
    locked,
    refusing_connections,
    respondent,
    started,
    submission,
    terminate_backend,
    terminate_backends,
)


async def test_refused_connections_answer_503_then_recover(postgresql_url: str) -> None:
    async with started(postgresql_url) as (app, client):
        auth = await respondent(client)
        before, during = await submission(client), await submission(client)
        first = await client.post("/v1/submissions", json=before, headers=auth)
        assert first.status_code == 201
        async with refusing_connections(postgresql_url):
            refused = await client.post("/v1/submissions", json=during, headers=auth)
            assert_unavailable(refused)
            ready = await client.get("/readyz")
            assert (ready.status_code, ready.json()) == (503, {"status": "unavailable"})
            assert int(ready.headers["retry-after"]) > 0
        stored = await client.post("/v1/submissions", json=during, headers=auth)
        replayed = await client.post("/v1/submissions", json=before, headers=auth)
        assert (stored.status_code, replayed.status_code) == (201, 200)
        assert (await client.get("/readyz")).status_code == 200
        acknowledged = {
            b["id"]: r.json()["assessment"]["id"] for b, r in ((before, first), (during, stored))
        }
        await assert_stored_once(app.state.engine, acknowledged, [])


async def test_terminated_idle_connections_are_replaced_unnoticed(postgresql_url: str) -> None:
    async with started(postgresql_url, database_pool_size=2) as (app, client):
        auth = await respondent(client)
        assert await terminate_backends(postgresql_url) >= 1  # the pool's idle connection
        body = await submission(client)
        response = await client.post("/v1/submissions", json=body, headers=auth)
        assert response.status_code == 201, response.text
        await assert_stored_once(
            app.state.engine, {body["id"]: response.json()["assessment"]["id"]}, []
        )


async def test_a_backend_terminated_mid_request_answers_503(postgresql_url: str) -> None:
    async with started(postgresql_url) as (app, client):
        auth = await respondent(client)
        body = await submission(client)
        async with locked(postgresql_url, "assessments") as holder:
            # The submission's INSERT waits for the lock; its backend is killed while it waits.
            sending = asyncio.create_task(client.post("/v1/submissions", json=body, headers=auth))
            waiting = await backend_waiting_for_lock(postgresql_url, holder.get_server_pid())
            await terminate_backend(waiting)
            assert_unavailable(await asyncio.wait_for(sending, HANG))
        retry = await client.post("/v1/submissions", json=body, headers=auth)
        assert retry.status_code == 201, retry.text
        await assert_stored_once(
            app.state.engine, {body["id"]: retry.json()["assessment"]["id"]}, []
        )


async def test_a_statement_over_the_timeout_answers_503(postgresql_url: str) -> None:
    async with started(postgresql_url, database_statement_timeout_seconds=0.5) as (app, client):
        auth = await respondent(client)
        body = await submission(client)
        async with locked(postgresql_url, "assessments"):
            # The lock is held until the answer has come: only the timeout can end the wait.
            response = await asyncio.wait_for(
                client.post("/v1/submissions", json=body, headers=auth), HANG
            )
            assert_unavailable(response)
        retry = await client.post("/v1/submissions", json=body, headers=auth)
        assert retry.status_code == 201, retry.text
        await assert_stored_once(
            app.state.engine, {body["id"]: retry.json()["assessment"]["id"]}, []
        )


async def test_the_statement_timeout_is_overridden_per_transaction(postgresql_url: str) -> None:
    show = text("SHOW statement_timeout")
    settings = {"database_statement_timeout_seconds": 0.5}
    async with started(postgresql_url, **settings) as (app, _), app.state.engine.connect() as db:
        assert await db.scalar(show) == "500ms"
        await db.commit()
        async with db.begin():
            await set_statement_timeout(db, 0)
            assert await db.scalar(show) == "0"
        assert await db.scalar(show) == "500ms"  # back to the default after it


@pytest.mark.parametrize("held", [1, 2])
async def test_a_full_pool_answers_503_and_opens_no_overflow(
    postgresql_url: str, held: int
) -> None:
    settings = {"database_pool_size": held, "database_pool_timeout_seconds": 0.5}
    async with started(postgresql_url, **settings) as (app, client):
        auth = await respondent(client)
        body = await submission(client)
        engine = app.state.engine
        connections = [await engine.connect() for _ in range(held)]
        try:
            for connection in connections:
                await connection.execute(text("SELECT 1"))
            # Every pooled connection is busy, and there is no overflow to open another.
            response = await asyncio.wait_for(
                client.post("/v1/submissions", json=body, headers=auth), HANG
            )
            assert_unavailable(response)
            assert engine.pool.checkedout() == held
        finally:
            for connection in connections:
                await connection.close()
        retry = await client.post("/v1/submissions", json=body, headers=auth)
        assert retry.status_code == 201, retry.text
        await assert_stored_once(engine, {body["id"]: retry.json()["assessment"]["id"]}, [])


async def test_readiness_answers_503_by_its_own_deadline_behind_a_busy_pool(
    postgresql_url: str,
) -> None:
    # A pool wait far longer than the probe may take: only the probe's own deadline ends it.
    settings = {
        "database_pool_size": 1,
        "database_pool_timeout_seconds": HANG * 2,
        "readiness_timeout_seconds": 0.2,
    }
    async with started(postgresql_url, **settings) as (app, client):
        async with app.state.engine.connect() as busy:
            await busy.execute(text("SELECT 1"))
            ready = await asyncio.wait_for(client.get("/readyz"), HANG)
            assert (ready.status_code, ready.json()) == (503, {"status": "unavailable"})
            assert int(ready.headers["retry-after"]) > 0
        assert (await client.get("/readyz")).status_code == 200


async def test_an_unreachable_database_answers_503_then_recovers(postgresql_url: str) -> None:
    link = CuttableLink(postgresql_url)
    try:
        async with started(await link.join()) as (app, client):
            auth = await respondent(client)
            body = await submission(client)
            await link.cut()  # connecting is refused now: a bare OSError the driver leaves as is
            assert_unavailable(await client.post("/v1/submissions", json=body, headers=auth))
            assert (await client.get("/readyz")).status_code == 503
            await link.join()
            retry = await client.post("/v1/submissions", json=body, headers=auth)
            assert retry.status_code == 201, retry.text
            await assert_stored_once(
                app.state.engine, {body["id"]: retry.json()["assessment"]["id"]}, []
            )
    finally:
        await link.cut()


def test_every_operation_but_liveness_declares_its_503_and_retry_after() -> None:
    schema = create_app(Settings(environment="test")).openapi()
    for route, path in schema["paths"].items():
        for method, operation in path.items():
            unavailable = operation["responses"].get("503")
            if route == "/healthz":
                assert unavailable is None
                continue
            assert "Retry-After" in unavailable["headers"], f"{method} {route}"
