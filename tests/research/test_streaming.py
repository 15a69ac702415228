"""The export streams: a client that goes away stops it, and the audit log says how far it got."""

from __future__ import annotations

import anyio
import httpx
from fastapi import FastAPI
from starlette.types import Message

from app.research.export import BATCH_ROWS
from tests.research.seeding import LONELINESS, many_people, new_clinic

ROWS = BATCH_ROWS + 500  # more than one batch


async def test_a_client_that_goes_away_stops_the_export_and_it_is_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, ROWS)
    bodies: list[bytes] = []
    gone, never = anyio.Event(), anyio.Event()
    asked = False

    async def receive() -> Message:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            bodies.append(message["body"])
            if len(bodies) == 2:  # the header line, then the first batch of rows
                gone.set()
                await never.wait()  # a stalled network: only the disconnect ends this send

    token = clinic.researcher["Authorization"].encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/research/export",
        "raw_path": b"/v1/research/export",
        "root_path": "",
        "query_string": f"questionnaire={LONELINESS}".encode(),
        "headers": [(b"host", b"attune.test"), (b"authorization", token)],
        "client": ("127.0.0.1", 5000),
        "server": ("attune.test", 80),
    }
    with anyio.fail_after(30):
        await app(scope, receive, send)
    sent = sum(body.count(b"\n") for body in bodies) - 1
    assert 0 < sent < ROWS
    page = await client.get("/v1/audit", params={"action": "research.export"}, headers=clinic.admin)
    [event] = page.json()["items"]
    assert event["details"]["completed"] is False
    assert event["details"]["rows"] == sent
    # The connection went back to the pool: the next export runs (SQLite has only one).
    whole = await client.get(
        "/v1/research/export", params={"questionnaire": LONELINESS}, headers=clinic.researcher
    )
    assert whole.text.count("\n") == ROWS + 1
    assert "MARKER" not in whole.text
