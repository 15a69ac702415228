"""Schedules of recurring check-ins, their occurrences, and invitations' reminder plans."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, utcnow

ACTIVE, PAUSED, STOPPED = "active", "paused", "stopped"
UNITS = ("days", "weeks")


class Schedule(UUIDPrimaryKey, Base):
    """Questionnaires sent to a client every N days or weeks, from a start, for a while."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'paused', 'stopped')", name="status"),
        CheckConstraint("unit IN ('days', 'weeks')", name="unit"),
        CheckConstraint("every >= 1", name="every"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    #: [{"id": "connection", "version": "1.0.0"}, …], fixed when the schedule is made.
    questionnaires: Mapped[list[dict[str, Any]]]
    every: Mapped[int]
    unit: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    count: Mapped[int | None]
    #: The organization's zone when it was made: occurrences keep their local wall time.
    time_zone: Mapped[str] = mapped_column(String(64))
    expires_in_days: Mapped[int]
    show_feedback: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(8))
    remind_after_days: Mapped[int | None]
    max_reminders: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE, index=True)
    #: The first occurrence not yet created (or skipped): what the tick looks at.
    next_number: Mapped[int] = mapped_column(default=0)
    #: When occurrence `next_number` is due (UTC); None once there are no more.
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]


class Occurrence(UUIDPrimaryKey, Base):
    """One occurrence of a schedule, made once: (schedule_id, number) is unique."""

    __tablename__ = "schedule_occurrences"
    __table_args__ = (UniqueConstraint("schedule_id", "number"),)

    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    due_at: Mapped[datetime]
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    #: The intake link, sealed, for a client without an address: the therapist passes it on.
    sealed_link: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderPlan(Base):
    """Reminders of one invitation: the first after K days, then every K days, at most M."""

    __tablename__ = "invitation_reminders"

    invitation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    after_days: Mapped[int]
    max_reminders: Mapped[int]
    sent: Mapped[int] = mapped_column(default=0)
    #: When the next one is due (already out of quiet hours); None when no more are due.
    next_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The intake link, sealed (the invitation keeps only its hash); a resend replaces it.
    sealed_link: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
