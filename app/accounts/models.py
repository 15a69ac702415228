"""Organizations, their staff (admins, therapists, researchers) and staff login tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Timestamps, UUIDPrimaryKey, utcnow

ADMIN = "admin"
THERAPIST = "therapist"
RESEARCHER = "researcher"
ROLES = (ADMIN, THERAPIST, RESEARCHER)


class Organization(UUIDPrimaryKey, Timestamps, Base):
    """A clinic or practice: every staff member, client and result belongs to exactly one."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    #: Where completed intakes are announced (ids and flags only), signed with the secret.
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    #: ISO 3166 country whose support lines its clients see (unless their language says one).
    support_country: Mapped[str | None] = mapped_column(String(2))
    #: the organization's own crisis lines, shown first: [{name, description, phone, url}].
    support_lines: Mapped[list[dict[str, Any]] | None]
    #: IANA name: schedules, quiet hours and dates shown to people are in this zone.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")


class User(UUIDPrimaryKey, Timestamps, Base):
    """A staff member who logs in with email and password."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        # Per organization: a service-wide rule would tell an admin who works elsewhere.
        UniqueConstraint("organization_id", "email"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: Stored lower-cased; unique in the organization (a login tries each account with it).
    email: Mapped[str] = mapped_column(String(320), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: The staff member wants an email when a result of one of their clients raises a flag.
    notify_on_flag: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The language of the emails sent to them (en, es): the console's choice, or
    #: `PATCH /v1/auth/me`. None until they choose: English.
    locale: Mapped[str | None] = mapped_column(String(16))


class UserToken(UUIDPrimaryKey, Base):
    """A staff bearer token, stored only as its SHA-256; it expires and can be revoked."""

    __tablename__ = "user_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PasswordReset(UUIDPrimaryKey, Base):
    """A "forgot password" link: stored only as its SHA-256, single-use, short-lived."""

    __tablename__ = "password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
