"""Therapists' clients and the intake invitations sent to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Timestamps, UUIDPrimaryKey, utcnow


class Client(UUIDPrimaryKey, Timestamps, Base):
    """A therapist's client. Their answers belong to a respondent made for them."""

    __tablename__ = "clients"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    therapist_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    #: The therapist's own name for the client (never exported for research).
    label: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    respondent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("respondents.id", ondelete="CASCADE"), unique=True
    )
    #: When the client asked for no more emails (the unsubscribe link); the therapist sees it.
    email_opt_out_at: Mapped[datetime | None]


class Invitation(UUIDPrimaryKey, Base):
    """An intake link: single-use at submit, expiring, revocable; the token is stored hashed."""

    __tablename__ = "invitations"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: [{"id": "connection", "version": "1.0.0"}, …], fixed when the link is made.
    questionnaires: Mapped[list[dict[str, Any]]]
    show_feedback: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    #: What the client ticked on the form (unticked by default), recorded at submit.
    research_consent: Mapped[bool | None]
    #: The language the client chose on the form ("en", "es"), kept for their later visits
    #: and for the reminders sent to them; None until they choose one.
    language: Mapped[str | None] = mapped_column(String(8))
