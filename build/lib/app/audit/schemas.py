"""Audit log schemas: one event, and a page of them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    """One audited action: who (no user: the CLI), what, on what, with which filters."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: str
    actor_user_id: uuid.UUID | None
    target: str | None
    details: dict[str, Any]
    created_at: datetime


class AuditPage(BaseModel):
    """A page of the audit log, newest first; pass `next_cursor` as `cursor` for the next."""

    items: list[AuditEventRead]
    next_cursor: str | None
