"""The outbox tables: messages to send and every try at sending them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, utcnow

CHANNELS = ("webhook", "email")
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class OutboxMessage(UUIDPrimaryKey, Base):
    """One message to send on a channel, retried with backoff until delivered or failed."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        CheckConstraint("channel IN ('webhook', 'email')", name="channel"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    #: The webhook event (`intake.completed`) or the email's kind (`invitation`).
    kind: Mapped[str] = mapped_column(String(64))
    #: What the channel needs. An email's address and link are sealed (encrypted), and
    #: cleared once the message is delivered or has failed for good.
    payload: Mapped[dict[str, Any]]
    #: What the message is about (an invitation's id), for showing its delivery status.
    reference_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    #: Unique when set: a second message with the same key is not written (exactly once).
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    #: Why it failed for good, in words safe to show staff (no address, no link).
    failure: Mapped[str | None] = mapped_column(String(200))


class OutboxAttempt(UUIDPrimaryKey, Base):
    """One try at sending a message: when, and what came back."""

    __tablename__ = "outbox_attempts"

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))
