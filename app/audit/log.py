"""Reading the audit log: an organization's events, newest first, a page at a time."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventRead, AuditPage
from app.errors import InvalidInput


async def audit_page(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    action: str | None,
) -> AuditPage:
    """A page of the organization's events (keyset pagination), optionally of one action."""
    statement = (
        select(AuditEvent)
        .where(AuditEvent.organization_id == organization_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit + 1)
    )
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    if cursor is not None:
        statement = statement.where(
            tuple_(AuditEvent.created_at, AuditEvent.id) < tuple_(*_position(cursor))
        )
    rows = list((await session.execute(statement)).scalars())
    page = rows[:limit]
    next_cursor = _cursor(page[-1]) if len(rows) > limit else None
    return AuditPage(
        items=[AuditEventRead.model_validate(e) for e in page], next_cursor=next_cursor
    )


def _cursor(event: AuditEvent) -> str:
    raw = json.dumps([event.created_at.isoformat(), str(event.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _position(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, event_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(created_at), uuid.UUID(event_id)
    except (ValueError, TypeError, binascii.Error) as error:
        raise InvalidInput(
            "The cursor is not one this API returned.",
            errors=[{"parameter": "cursor", "detail": "pass next_cursor from a previous page"}],
        ) from error
