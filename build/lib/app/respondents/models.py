"""Respondents (people answering through an app) and their bearer tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Timestamps, UUIDPrimaryKey, utcnow


class Respondent(UUIDPrimaryKey, Timestamps, Base):
    """An anonymous person: no name, no email; known only by their token."""

    __tablename__ = "respondents"

    locale: Mapped[str | None] = mapped_column(String(16))
    research_consent: Mapped[bool] = mapped_column(default=False)
    research_consent_at: Mapped[datetime | None]


class RespondentToken(UUIDPrimaryKey, Base):
    """A bearer token of a respondent, stored only as its SHA-256."""

    __tablename__ = "respondent_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    respondent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("respondents.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
