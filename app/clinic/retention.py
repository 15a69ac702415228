"""Retention: outbox messages and audit rows are deleted once they are old enough.

Sent (or given-up) webhook events and emails are kept `outbox_retention_days` (for the
deliveries list and the invitations' email status), audit rows `audit_retention_days`;
pending messages are never deleted. The outbox worker applies this about once an hour
(`app.outbox.worker`), so no separate job is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.config import Settings
from app.outbox.models import OutboxAttempt, OutboxMessage

#: How often a worker applies retention (each worker does; deleting twice is harmless).
RETENTION_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Purged:
    """How many rows retention deleted."""

    outbox_messages: int
    audit_events: int


async def apply_retention(session: AsyncSession, settings: Settings, now: datetime) -> Purged:
    """Delete finished webhook events and audit rows older than their retention at `now`."""
    outbox_before = now - timedelta(days=settings.outbox_retention_days)
    finished = select(OutboxMessage.id).where(
        OutboxMessage.status.in_(("delivered", "failed")),
        OutboxMessage.created_at < outbox_before,
    )
    await session.execute(delete(OutboxAttempt).where(OutboxAttempt.message_id.in_(finished)))
    events = await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(("delivered", "failed")),
            OutboxMessage.created_at < outbox_before,
        )
    )
    audit_before = now - timedelta(days=settings.audit_retention_days)
    audits = await session.execute(delete(AuditEvent).where(AuditEvent.created_at < audit_before))
    return Purged(
        outbox_messages=int(events.rowcount),  # type: ignore[attr-defined]
        audit_events=int(audits.rowcount),  # type: ignore[attr-defined]
    )
