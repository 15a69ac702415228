"""/v1/audit: the organization's audit log, for its admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts.dependencies import CurrentAdmin
from app.audit.log import audit_page
from app.audit.schemas import AuditPage
from app.db import SessionDep
from app.problems import problems

router = APIRouter(prefix="/v1", tags=["audit"])

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (at most 100).")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of a page.")]
Action = Annotated[
    str | None, Query(max_length=64, examples=["research.export"], description="Only this action.")
]


@router.get("/audit", responses=problems(401, 403, 422))
async def list_audit_events(
    session: SessionDep,
    admin: CurrentAdmin,
    limit: Limit = 50,
    cursor: Cursor = None,
    action: Action = None,
) -> AuditPage:
    """Your organization's audit log, newest first (admins only)."""
    return await audit_page(
        session, admin.organization_id, limit=limit, cursor=cursor, action=action
    )
