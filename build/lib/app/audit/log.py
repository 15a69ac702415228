"""Reading the audit log: an organization's events, newest first, a page at a time."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventRead, AuditPage
from app.pagination import encode_cursor, newest_first, split_page


async def audit_page(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    action: str | None,
) -> AuditPage:
    """A page of the organization's events (keyset pagination), optionally of one action."""
    statement = newest_first(
        select(AuditEvent).where(AuditEvent.organization_id == organization_id),
        AuditEvent.created_at,
        AuditEvent.id,
        limit=limit,
        cursor=cursor,
    )
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    page, more = split_page(list((await session.execute(statement)).scalars()), limit)
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
    return AuditPage(
        items=[AuditEventRead.model_validate(e) for e in page], next_cursor=next_cursor
    )
