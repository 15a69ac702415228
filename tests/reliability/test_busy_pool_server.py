"""The real server with a pool of one connection held busy: 503s by their deadlines, then 201.

`attune serve` runs with ATTUNE_DATABASE_POOL_SIZE=1 and no overflow. A submission takes the
one connection and waits for a table lock the test holds; meanwhile another submission waits
for the pool and gets 503 with Retry-After when the pool timeout runs out, and /readyz answers
503 by its own deadline. When the lock goes, the held submission completes (201); the refused
one, sent again, is stored; each exactly once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import clear_rows
from tests.reliability.faults import (
    HANG,
    assert_stored_once,
    assert_unavailable,
    backend_waiting_for_lock,
    locked,
    respondent,
    submission,
)
from tests.reliability.serving import start_server

SETTINGS = {
    "ATTUNE_DATABASE_POOL_SIZE": "1",
    "ATTUNE_DATABASE_POOL_TIMEOUT_SECONDS": "0.5",
    "ATTUNE_READINESS_TIMEOUT_SECONDS": "0.5",
    "ATTUNE_DATABASE_STATEMENT_TIMEOUT_SECONDS": "0",  # only the lock's release ends the wait
    "ATTUNE_WEBHOOK_POLL_SECONDS": "0",  # the sender would share the one connection
}


async def test_a_pool_of_one_held_busy_answers_503_and_loses_nothing(
    postgresql_url: str, tmp_path: Path
) -> None:
    engine = create_async_engine(postgresql_url)
    await clear_rows(engine)
    server = start_server(postgresql_url, tmp_path / "server.log", **SETTINGS)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=HANG) as http:
            auth = await respondent(http)
            held, refused = await submission(http), await submission(http)
            async with locked(postgresql_url, "assessments") as holder:
                sending = asyncio.create_task(http.post("/v1/submissions", json=held, headers=auth))
                await backend_waiting_for_lock(postgresql_url, holder.get_server_pid())
                # The pool's one connection now waits for the lock.
                assert_unavailable(await http.post("/v1/submissions", json=refused, headers=auth))
                ready = await http.get("/readyz")
                assert (ready.status_code, ready.json()) == (503, {"status": "unavailable"})
                assert int(ready.headers["retry-after"]) > 0
                assert not sending.done()
            first = await asyncio.wait_for(sending, HANG)
            assert first.status_code == 201, first.text
            again = await http.post("/v1/submissions", json=refused, headers=auth)
            assert again.status_code == 201, again.text
            assert (await http.get("/readyz")).status_code == 200
        acknowledged = {
            body["id"]: response.json()["assessment"]["id"]
            for body, response in ((held, first), (refused, again))
        }
        await assert_stored_once(engine, acknowledged, [])
    finally:
        server.stop()
        await clear_rows(engine)
        await engine.dispose()
