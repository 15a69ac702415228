"""An email cut off by SIGKILL of the server mid-send is sent once after restart, not lost.

The server's outbox worker is killed while the SMTP server holds the conversation (before
it accepted the message). After a restart the worker claims the row again once its lease is
over (skipped here by moving the row's due time, instead of sleeping through it) and the
message arrives exactly once. A sender killed *after* the SMTP server accepted but before the
try was recorded would send it again, with the same Message-ID (delivery is at least once).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from app.config import Settings
from app.db import utcnow
from app.main import create_app
from app.outbox.models import OutboxMessage
from tests.conftest import clear_rows, new_staff
from tests.mailserver import smtp_server
from tests.reliability.serving import start_server


async def test_a_killed_send_is_resent_once(database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, environment="test", outbox_poll_seconds=0)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        try:
            await _kill_mid_send_and_restart(app, database_url, tmp_path)
        finally:
            await clear_rows(app.state.engine)


async def _settled(app: FastAPI, message_id: uuid.UUID) -> OutboxMessage:
    """The message once its try is recorded (the server records it right after sending)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        async with app.state.sessionmaker() as session:
            message = await session.get_one(OutboxMessage, message_id)
        if message.status != "pending":
            return message
        await asyncio.sleep(0.05)  # polling a condition with a deadline, not waiting blind
    raise AssertionError("the resent message was never recorded")


async def _kill_mid_send_and_restart(app: FastAPI, database_url: str, tmp_path: Path) -> None:
    staff, _, _ = await new_staff(app, "therapist")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
        body = {"label": "Held", "email": "hold-me@example.org"}
        person = (await http.post("/v1/clients", json=body, headers=staff)).json()
        invited = await http.post(
            f"/v1/clients/{person['id']}/invitations",
            json={"questionnaires": ["connection"], "send_email": True},
            headers=staff,
        )
        assert invited.status_code == 201, invited.text

    with smtp_server() as mail:
        env = {
            "ATTUNE_SMTP_URL": mail.url,
            "ATTUNE_OUTBOX_POLL_SECONDS": "0.05",
            "ATTUNE_MAIL_TIMEOUT_SECONDS": "20",
        }
        server = start_server(database_url, tmp_path / "first.log", **env)
        try:
            assert mail.mailbox.holding.wait(20), server.output()
        finally:
            server.kill()
        mail.mailbox.release.set()
        async with app.state.sessionmaker.begin() as session:
            (message,) = (await session.execute(select(OutboxMessage))).scalars()
            assert (message.status, message.attempts) == ("pending", 0)
            assert message.next_attempt_at > utcnow()  # leased by the killed worker
            await session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))

        again = start_server(database_url, tmp_path / "second.log", **env)
        try:
            (received,) = mail.mailbox.wait_for(1, timeout=20)
            message = await _settled(app, message.id)
        finally:
            again.stop()
    assert received.recipients == ["hold-me@example.org"]
    assert received.message["Message-ID"] == f"<{message.id}@attune>"
    assert (message.status, message.attempts) == ("delivered", 1)
    assert len(mail.mailbox.messages) == 1
