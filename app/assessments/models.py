"""Assessments (one person answering one questionnaire) and their scored results."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, Timestamps, UUIDPrimaryKey, utcnow

IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"


class Assessment(UUIDPrimaryKey, Timestamps, Base):
    """Answers being given, then submitted once; `revision` guards concurrent saves."""

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint(f"status IN ('{IN_PROGRESS}', '{SUBMITTED}')", name="status"),
        CheckConstraint("source IN ('app', 'intake')", name="source"),
        # An offline client's own id for a one-shot submission: stored once per respondent.
        UniqueConstraint("respondent_id", "client_id"),
        Index(None, "respondent_id", "submitted_at"),
    )

    respondent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("respondents.id", ondelete="CASCADE")
    )
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    definition_hash: Mapped[str] = mapped_column(ForeignKey("definitions.hash"))
    status: Mapped[str] = mapped_column(String(16), default=IN_PROGRESS)
    source: Mapped[str] = mapped_column(String(16), default="app")
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(default=1)
    client_id: Mapped[uuid.UUID | None]
    #: SHA-256 of what a one-shot submission sent, to tell a retry from a different payload.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    answered_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    #: The respondent's research consent when they submitted (research uses only these).
    research_consent: Mapped[bool | None]
    #: The language the intake form showed the questions and feedback in (null: unknown,
    #: e.g. an app's answers); the console shows the feedback to staff in it.
    locale: Mapped[str | None] = mapped_column(String(16))
    #: The intake link this was answered through, if any.
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL"), index=True
    )

    result: Mapped[Result | None] = relationship(
        back_populates="assessment", lazy="raise", uselist=False, passive_deletes=True
    )

    # Every UPDATE checks and bumps `revision`: a write based on a stale read fails.
    __mapper_args__ = {"version_id_col": revision}


class Result(UUIDPrimaryKey, Base):
    """The score of a submitted assessment: what was computed, by which rules and engine."""

    __tablename__ = "results"

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), unique=True
    )
    definition_hash: Mapped[str] = mapped_column(ForeignKey("definitions.hash"))
    engine_version: Mapped[str] = mapped_column(String(32))
    score: Mapped[dict[str, Any]]
    profile: Mapped[str | None] = mapped_column(String(64))
    flagged: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A therapist saw a flagged result (it leaves the attention list).
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    assessment: Mapped[Assessment] = relationship(back_populates="result", lazy="raise")
