"""Fixtures of the clinic tests: staff, clients, submitted results, a real webhook receiver."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.assessments.service import start_assessment, submit_assessment
from app.clinic.models import Client
from app.config import Settings
from app.questionnaires.model import Definition
from app.respondents.models import Respondent

PUBLIC_URL = "https://attune.example"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings; no background sender, so tests call deliver_due themselves.

    The webhook receiver of these tests listens on 127.0.0.1, so local targets are allowed
    explicitly; tests/clinic/test_targets.py runs without that, as production does.
    """
    return Settings(
        database_url=database_url,
        environment="test",
        public_url=PUBLIC_URL,
        outbox_poll_seconds=0,
        webhook_allow_local=True,
    )


async def add_client(
    client: httpx.AsyncClient, headers: dict[str, str], label: str = "J. (Tuesdays)", **body: Any
) -> dict[str, Any]:
    """Create a client over the API; return its body."""
    response = await client.post("/v1/clients", json={"label": label, **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def answers(definition: Definition, high: set[str]) -> dict[str, int]:
    """Answers that put the scales in `high` at their top and every other scale at its bottom."""
    chosen = {}
    for item in definition.items:
        values = definition.response_scales[item.scale].values
        up = any(item.id in s.items for s in definition.scales if s.id in high)
        chosen[item.id] = max(values) if up != bool(item.reverse) else min(values)
    return chosen


FLAGGING = {"hyperarousal", "hypoarousal"}  # with low ventral regulation: a flag fires
CALM = {"ventral-regulation", "closeness-capacity"}


async def submit_for(
    app: FastAPI, client_id: str, high: set[str], questionnaire: str = "window-of-tolerance"
) -> tuple[str, str]:
    """Submit an assessment as the client's respondent; return (assessment id, result id)."""
    registry = app.state.registry
    definition = registry.get(questionnaire)
    async with app.state.sessionmaker.begin() as session:
        owner = await session.get_one(Client, uuid.UUID(client_id))
        respondent = await session.get_one(Respondent, owner.respondent_id)
        assessment = await start_assessment(
            session, registry, respondent, definition, answers(definition, high)
        )
        submitted = await submit_assessment(
            session, registry, assessment, respondent, uuid.uuid4().hex
        )
    return str(submitted.assessment.id), str(submitted.result.id)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that checks signatures and answers scripted statuses."""

    url: str = ""
    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    #: each request's Attune-Delivery as it arrives, for a test to wait on (`arrival`)
    arrivals: queue.Queue[str] = field(default_factory=queue.Queue)
    #: an Event: requests are received but answered only once it is set (None: at once)
    hold: threading.Event | None = None

    async def arrival(self) -> str:
        """Wait for the next request and return its delivery id (fails after 30 s)."""
        return await asyncio.to_thread(self.arrivals.get, timeout=30)


def signed_as_documented(secret: str, header: str, body: bytes) -> bool:
    """The README's check, written out independently of app.clinic.webhooks."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in fields or abs(time.time() - int(fields["t"])) > 300:
        return False
    message = fields["t"].encode() + b"." + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


def receiver_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            genuine = signed_as_documented(
                receiver.secret, self.headers.get("Attune-Signature", ""), body
            )
            receiver.received.append({"headers": dict(self.headers), "body": body})
            status = receiver.statuses.pop(0) if genuine and receiver.statuses else 200
            if receiver.hold is None:
                self._answer(status if genuine else 401)
            receiver.arrivals.put(self.headers.get("Attune-Delivery", ""))
            if receiver.hold is not None:
                receiver.hold.wait(timeout=30)
                with contextlib.suppress(OSError):  # the sender may have gone meanwhile
                    self._answer(status if genuine else 401)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads what was received instead."""

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server in a thread, on a free port."""
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver_handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/attune"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        if state.hold is not None:
            state.hold.set()
        server.shutdown()
        server.server_close()
        thread.join()


async def send_webhooks(app: FastAPI, http: httpx.AsyncClient) -> int:
    """One round of the outbox worker's webhook channel, sending with `http`."""
    from app.outbox.channels.webhook import WebhookChannel
    from app.outbox.worker import deliver_due

    channel = WebhookChannel(app.state.sessionmaker, http, app.state.settings)
    return await deliver_due(app.state.sessionmaker, {"webhook": channel})
