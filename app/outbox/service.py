"""Writing to the outbox, in the caller's transaction, and reading what happened."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import insert_unless_exists, utcnow
from app.outbox.models import CHANNELS, PENDING, OutboxAttempt, OutboxMessage


async def enqueue(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    channel: str,
    kind: str,
    payload: dict[str, Any],
    reference_id: uuid.UUID | None = None,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Add a message to the outbox; False when one with the same `dedup_key` exists."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    now = utcnow()
    message = OutboxMessage(
        id=uuid.uuid4(),
        organization_id=organization_id,
        channel=channel,
        kind=kind,
        payload=payload,
        reference_id=reference_id,
        dedup_key=dedup_key,
        status=PENDING,
        attempts=0,
        next_attempt_at=max(now, not_before) if not_before else now,
        created_at=now,
    )
    if dedup_key is None:
        session.add(message)
        await session.flush()
        return True
    return await insert_unless_exists(session, message, ["dedup_key"])


async def latest_by_reference(
    session: AsyncSession, channel: str, reference_ids: list[uuid.UUID]
) -> dict[uuid.UUID, OutboxMessage]:
    """The newest message on a channel about each of these references (one query)."""
    if not reference_ids:
        return {}
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.reference_id.in_(reference_ids))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    latest: dict[uuid.UUID, OutboxMessage] = {}
    for message in (await session.execute(statement)).scalars():
        assert message.reference_id is not None  # filtered above
        latest[message.reference_id] = message
    return latest


async def attempts_of(
    session: AsyncSession, message_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[OutboxAttempt]]:
    """Every try of these messages, oldest first (one query)."""
    tries: dict[uuid.UUID, list[OutboxAttempt]] = {message_id: [] for message_id in message_ids}
    if not message_ids:
        return tries
    statement = (
        select(OutboxAttempt)
        .where(OutboxAttempt.message_id.in_(message_ids))
        .order_by(OutboxAttempt.attempted_at, OutboxAttempt.id)
    )
    for attempt in (await session.execute(statement)).scalars():
        tries[attempt.message_id].append(attempt)
    return tries
