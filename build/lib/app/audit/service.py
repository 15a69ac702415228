"""Writing to the audit log, in the same transaction as the action it records."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent


async def record(
    session: AsyncSession,
    action: str,
    *,
    organization_id: uuid.UUID | None,
    actor_user_id: uuid.UUID | None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event; it commits (or not) with the request it belongs to."""
    event = AuditEvent(
        organization_id=organization_id,
        actor_user_id=actor_user_id,
        action=action,
        target=target,
        details=details or {},
    )
    session.add(event)
    await session.flush()
    return event
