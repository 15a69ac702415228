"""A researcher who drops an export mid-stream leaves the real server working (both databases).

The export runs on `attune serve` over TCP. The client asks for it, reads the first bytes,
stops reading (the server fills the socket and waits: mid-stream), and closes the socket.
While it waits, and after the close, the rest of the service works: readiness, a
submission, another export (the cap is one, so the slot came back), then a clean SIGTERM
(`running_server` fails when the server does not stop). The cut-off export is audited.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.research.seeding import LONELINESS, LONELY, Clinic, many_people, new_clinic
from tests.servers import running_server

# JSON Lines rows are about 450 bytes: 20,000 of them are far more than the kernel buffers
# (4 MiB each way at most here) can hold while the client reads nothing.
ROWS = 20_000
EXPORT = f"/v1/research/export?questionnaire={LONELINESS}&format=jsonl"


def stalled_export(base: str, clinic: Clinic) -> tuple[socket.socket, bytes]:
    """An export request over a raw socket with a tiny receive window; what was read: the
    response head and the start of the first batch of rows, then nothing more."""
    address = urlsplit(base)
    connection = socket.socket()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    connection.connect((address.hostname, address.port))
    request = (
        f"GET {EXPORT} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: {clinic.researcher['Authorization']}\r\n\r\n"
    )
    connection.sendall(request.encode())
    received = b""
    while b"\r\n\r\n" not in received or received.endswith(b"\r\n\r\n"):
        more = connection.recv(4096)
        assert more, received
        received += more
    return connection, received


def the_service_works(http: httpx.Client) -> None:
    """Readiness and a one-shot submission: reads and a write of the database."""
    assert http.get("/readyz").status_code == 200
    token = http.post("/v1/respondents", json={}).json()["token"]
    submission = {
        "id": str(uuid.uuid4()),
        "questionnaire_id": LONELINESS,
        "answers": LONELY,
        "answered_at": datetime.now(UTC).isoformat(),
    }
    done = http.post(
        "/v1/submissions", json=submission, headers={"Authorization": f"Bearer {token}"}
    )
    assert done.status_code == 201, done.text


def audited_exports(http: httpx.Client, clinic: Clinic, count: int) -> list[dict[str, Any]]:
    """The export audit entries once there are `count` (written when each export ends)."""
    deadline = time.monotonic() + 30
    while True:
        page = http.get("/v1/audit", params={"action": "research.export"}, headers=clinic.admin)
        events = list(page.json()["items"])
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.05)  # polling the audit log, the only outside view of the export's end


async def test_a_dropped_export_leaves_the_server_working_and_is_audited(
    app: FastAPI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, ROWS)
    monkeypatch.setenv("ATTUNE_RESEARCH_MAX_EXPORTS", "1")
    # Blocking calls from here on: the app of this process only seeded, the server serves.
    drop_an_export(database_url, clinic)


def drop_an_export(database_url: str, clinic: Clinic) -> None:
    """The scenario of this module against `attune serve`, ending with its SIGTERM."""
    with running_server(database_url) as base, httpx.Client(base_url=base, timeout=20) as http:
        connection, first = stalled_export(base, clinic)
        assert first.startswith(b"HTTP/1.1 200"), first[:200]
        # While the export waits for its reader: the service works, and the cap holds.
        the_service_works(http)
        busy = http.get(EXPORT, headers=clinic.researcher)
        assert busy.status_code == 429
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.json()["type"] == "urn:attune:problem:exports-busy"
        assert int(busy.headers["retry-after"]) > 0
        connection.close()  # unread data: the kernel resets the connection

        [cut_off] = audited_exports(http, clinic, 1)
        assert cut_off["details"]["completed"] is False
        assert 0 < cut_off["details"]["rows"] < ROWS
        the_service_works(http)
        with http.stream("GET", EXPORT, headers=clinic.researcher) as whole:
            assert whole.status_code == 200
            lines = [line for line in whole.iter_lines() if line]
        assert len(lines) == ROWS
        assert json.loads(lines[0])["questionnaire_id"] == LONELINESS
        whole_entry, _ = audited_exports(http, clinic, 2)
        assert (whole_entry["details"]["completed"], whole_entry["details"]["rows"]) == (
            True,
            ROWS,
        )
    # Leaving running_server sent SIGTERM and checked that the server shut down cleanly.
