"""The audit log: who read or exported what, and when. Rows are only ever added."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, utcnow


class AuditEvent(UUIDPrimaryKey, Base):
    """One audited action: a read of results, an export, an aggregate, a study designation."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "organization_id", "created_at"),)

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: e.g. "result.read", "research.export", "research.aggregates", "study.designate".
    action: Mapped[str] = mapped_column(String(64))
    #: What was acted on, as an id or a questionnaire key; never a name or an answer.
    target: Mapped[str | None] = mapped_column(String(200))
    #: Filters, row counts and the like; never personal data.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
