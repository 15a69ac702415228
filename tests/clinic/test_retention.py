"""Retention: finished webhook events and old audit rows go, applied by the sender's loop."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.models import Organization
from app.audit.models import AuditEvent
from app.clinic.retention import apply_retention
from app.db import utcnow
from app.outbox.models import OutboxAttempt, OutboxMessage
from app.outbox.worker import start_worker, stop_worker
from tests.conftest import count

DAY = timedelta(days=1)


async def _seed(app: FastAPI, now: datetime) -> uuid.UUID:
    """Events and audit rows of several ages and states, as of `now`."""
    async with app.state.sessionmaker.begin() as session:
        organization = Organization(name="Clinic R")
        session.add(organization)
        await session.flush()
        for status, age in (
            ("delivered", 31),
            ("failed", 31),
            ("pending", 31),  # never deleted: still to send
            ("delivered", 29),
        ):
            delivery = OutboxMessage(
                organization_id=organization.id,
                channel="webhook",
                kind="intake.completed",
                payload={"invitation_id": status},
                status=status,
                created_at=now - age * DAY,
                next_attempt_at=now + 365 * DAY,  # not due: the loop must not send it
            )
            session.add(delivery)
            await session.flush()
            session.add(OutboxAttempt(message_id=delivery.id, attempted_at=now - age * DAY))
        for age in (2191, 2189):
            session.add(
                AuditEvent(
                    organization_id=organization.id,
                    actor_user_id=None,
                    action="result.read",
                    target=f"age-{age}",
                    details={},
                    created_at=now - age * DAY,
                )
            )
    return organization.id


async def _left(app: FastAPI) -> tuple[list[tuple[str, str]], list[str | None]]:
    async with app.state.sessionmaker() as session:
        events = await session.execute(
            select(OutboxMessage.status, OutboxMessage.created_at).order_by(
                OutboxMessage.created_at
            )
        )
        audits = await session.execute(select(AuditEvent.target).order_by(AuditEvent.target))
        return [(s, str(c)) for s, c in events], list(audits.scalars())


async def test_retention_deletes_what_is_old_and_finished(app: FastAPI) -> None:
    now = utcnow() + 400 * DAY  # any clock: retention goes by the time it is given
    await _seed(app, now)

    async with app.state.sessionmaker.begin() as session:
        purged = await apply_retention(session, app.state.settings, now)

    assert (purged.outbox_messages, purged.audit_events) == (2, 1)
    events, audits = await _left(app)
    assert [status for status, _ in events] == ["pending", "delivered"]
    assert audits == ["age-2189"]
    assert await count(app, "outbox_attempts") == 2


async def test_retention_follows_its_settings(app: FastAPI) -> None:
    now = utcnow()
    await _seed(app, now)
    settings = app.state.settings.model_copy(
        update={"outbox_retention_days": 60, "audit_retention_days": 1}
    )

    async with app.state.sessionmaker.begin() as session:
        purged = await apply_retention(session, settings, now)

    assert (purged.outbox_messages, purged.audit_events) == (0, 2)


async def test_the_background_sender_applies_retention_by_its_clock(app: FastAPI) -> None:
    """The loop's clock is injected: a year from now, the 29-day-old event is old too."""
    now = utcnow()
    await _seed(app, now)
    settings = app.state.settings.model_copy(update={"outbox_poll_seconds": 0.01})

    task = start_worker(
        app.state.sessionmaker, app.state.outbox_channels, settings, clock=lambda: now + 365 * DAY
    )
    try:
        async with asyncio.timeout(20):
            # The loop runs in its own task and tells no one: watch the rows it deletes.
            while await count(app, "audit_events") or await count(app, "outbox_attempts") > 1:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        await stop_worker(task)

    events, audits = await _left(app)
    assert [status for status, _ in events] == ["pending"]
    assert audits == []
