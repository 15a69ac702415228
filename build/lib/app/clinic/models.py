"""Therapists' clients, the intake invitations sent to them, and webhook deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
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


class WebhookDelivery(UUIDPrimaryKey, Base):
    """One event to deliver to an organization's webhook, retried with backoff (an outbox)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class WebhookAttempt(UUIDPrimaryKey, Base):
    """One try at delivering an event: when, and what came back."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))
