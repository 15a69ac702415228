"""A 500 nothing handled, on the real server: it says `Connection: close` and names the request.

The fault is real data damage: a stored result whose score no longer reads, so rendering it
raises an error no handler knows. The server drops the connection after such an error; the
answer must say so, or a keep-alive client's next request on that connection fails.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from app.assessments.models import Result
from tests.conftest import clear_rows
from tests.reliability.faults import HANG
from tests.reliability.serving import start_server

REQUEST_ID = "unexpected-fault-0001"
ROUTE = "/v1/assessments/{assessment_id}/result"


async def _raw_get(base_url: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """One keep-alive GET over a bare connection, read until the server closes it."""
    address = urlsplit(base_url)
    lines = [f"GET {path} HTTP/1.1", f"Host: {address.netloc}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        # read() returns only at end of stream: when the server has closed the connection.
        received = await asyncio.wait_for(reader.read(), HANG)
    finally:
        writer.close()
    head = received.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    fields = dict(line.split(": ", 1) for line in head[1:])
    return int(head[0].split()[1]), {name.lower(): value for name, value in fields.items()}


async def test_an_unhandled_error_closes_the_connection_and_logs_its_request_id(
    database_url: str, tmp_path: Path
) -> None:
    engine = create_async_engine(database_url)
    log = tmp_path / "server.log"
    server = start_server(database_url, log)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=HANG) as http:
            token = (await http.post("/v1/respondents", json={})).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            definition = (await http.get("/v1/questionnaires/three-item-loneliness")).json()
            answers = {i["id"]: i["options"][0]["value"] for i in definition["items"]}
            body = {
                "id": "0b6f5f0e-7a55-4d1e-9a61-6c1f3f0c2a11",
                "questionnaire_id": definition["id"],
                "answers": answers,
                "answered_at": "2026-11-20T08:30:00Z",
            }
            submitted = await http.post("/v1/submissions", json=body, headers=auth)
            assert submitted.status_code == 201, submitted.text
            assessment_id = submitted.json()["assessment"]["id"]
            async with engine.begin() as connection:
                await connection.execute(update(Result).values(score={"damaged": True}))
            path = f"/v1/assessments/{assessment_id}/result"

            status, headers = await _raw_get(
                server.base_url, path, auth | {"X-Request-ID": REQUEST_ID}
            )
            assert status == 500
            assert headers["connection"] == "close"
            assert headers["x-request-id"] == REQUEST_ID

            # A keep-alive client: the 500, then its next request (a new connection) works.
            failed = await http.get(path, headers=auth)
            assert (failed.status_code, failed.headers["connection"]) == (500, "close")
            assert failed.json()["title"] == "Internal server error"
            assert (await http.get("/healthz")).status_code == 200
        server.stop()
        lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
        errors = [line for line in lines if line["level"] == "ERROR"]
        ours = [line for line in errors if line["request_id"] == REQUEST_ID]
        [handled] = [line for line in ours if line["logger"] == "attune.errors"]
        # The route template, never the raw path (an intake link's path is its secret).
        assert handled["message"] == f"unhandled ValidationError on GET {ROUTE}"
        assert assessment_id not in server.output()
        assert all(line["request_id"] is not None for line in errors), errors
        assert all(line.get("error") == "ValidationError" for line in errors if "error" in line)
        [access] = [
            line
            for line in lines
            if line.get("route") == ROUTE and line["request_id"] == REQUEST_ID
        ]
        assert access["status"] == 500
    finally:
        server.stop()
        await clear_rows(engine)
        await engine.dispose()
