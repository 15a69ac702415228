"""The pool's queue serves checkouts in arrival order, times out, and loses nothing on cancel."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.util.queue import Empty

from app.config import Settings
from app.db import create_engine
from app.dbpool import FairQueue, FairQueuePool


async def _get(queue: FairQueue[str], seconds: float = 5.0) -> str:
    # The pool calls `get` from SQLAlchemy's greenlet context, as here.
    return await greenlet_spawn(queue.get, True, seconds)


async def _borrow(queue: FairQueue[str], name: str, order: list[str]) -> None:
    """Take the item, note who had it, give it back on the next turn of the loop."""
    item = await _get(queue)
    order.append(name)
    await asyncio.sleep(0)
    queue.put_nowait(item)


async def test_a_returned_item_goes_to_the_longest_waiter_and_newcomers_queue_behind() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    queue.put_nowait("connection")
    held = await _get(queue)
    order: list[str] = []
    early = [asyncio.create_task(_borrow(queue, name, order)) for name in ("first", "second")]
    await asyncio.sleep(0)  # both are waiting now
    queue.put_nowait(held)
    # Handed to "first" at once: a newcomer finds nothing to take, and waits its turn.
    with pytest.raises(Empty):
        queue.get_nowait()
    late = asyncio.create_task(_borrow(queue, "newcomer", order))
    await asyncio.gather(*early, late)
    assert order == ["first", "second", "newcomer"]
    assert queue.qsize() == 1


async def test_a_checkout_times_out_and_leaves_no_waiter_behind() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    with pytest.raises(Empty):
        await _get(queue, seconds=0.01)
    queue.put_nowait("connection")  # nobody is waiting: it stays in the queue
    assert (queue.qsize(), queue.get_nowait()) == (1, "connection")


async def test_an_item_handed_to_a_cancelled_checkout_goes_to_the_next() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    cancelled = asyncio.create_task(_get(queue))
    following = asyncio.create_task(_get(queue))
    await asyncio.sleep(0)
    queue.put_nowait("connection")  # handed to the first waiter ...
    cancelled.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await following == "connection"


async def test_the_engines_use_the_fair_pool(tmp_path: object) -> None:
    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/pool.db"))
    try:
        assert isinstance(engine.sync_engine.pool, FairQueuePool)
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_statementwise_routes_run_without_a_transaction_on_postgresql(app: FastAPI) -> None:
    """`no_transaction` routes: autocommit on PostgreSQL (no BEGIN, no COMMIT); SQLite as ever."""
    postgresql = app.state.engine.dialect.name == "postgresql"

    async def in_transaction(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
        async with sessionmaker() as session:
            await session.execute(text("SELECT 1"))
            raw = await (await session.connection()).get_raw_connection()
            driver = raw.driver_connection
            return bool(driver.is_in_transaction() if postgresql else driver.in_transaction)

    assert await in_transaction(app.state.autocommit_sessionmaker) is not postgresql
    assert await in_transaction(app.state.sessionmaker) is True


async def test_a_result_is_read_and_answers_saved_without_a_transaction(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    started = await client.post(
        "/v1/assessments", json={"questionnaire_id": "three-item-loneliness"}, headers=auth
    )
    items = (await client.get("/v1/questionnaires/three-item-loneliness")).json()["items"]
    answers = {item["id"]: item["options"][0]["value"] for item in items}
    assessment = started.json()["id"]
    await client.put(
        f"/v1/assessments/{assessment}/answers", json={"answers": answers}, headers=auth
    )
    submitted = await client.post(
        f"/v1/assessments/{assessment}/submit", headers={**auth, "Idempotency-Key": "k-1"}
    )
    assert submitted.status_code == 200, submitted.text
    made: list[object] = []
    plain = app.state.autocommit_sessionmaker

    def counting() -> object:
        session = plain()
        made.append(session)
        return session

    app.state.autocommit_sessionmaker = counting
    try:
        result = await client.get(f"/v1/assessments/{assessment}/result", headers=auth)
        other = await client.post(
            "/v1/assessments", json={"questionnaire_id": "three-item-loneliness"}, headers=auth
        )
        url = f"/v1/assessments/{other.json()['id']}/answers"
        first = dict(list(answers.items())[:1])
        saved = await client.put(url, json={"answers": first}, headers=auth)
        # The revision still guards a save without a transaction: a stale one changes nothing.
        stale = await client.put(
            url, json={"answers": answers}, headers={**auth, "If-Match": '"1"'}
        )
        again = await client.get(f"/v1/assessments/{other.json()['id']}", headers=auth)
    finally:
        app.state.autocommit_sessionmaker = plain
    assert result.status_code == 200, result.text
    assert result.json() == submitted.json()
    assert (saved.status_code, saved.headers["etag"]) == (200, '"2"')
    assert stale.status_code == 412, stale.text
    assert again.json()["answers"] == first
    assert len(made) == 4  # the result, both saves and the read: none in a transaction
