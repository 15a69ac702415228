"""The definitions table: every definition a result was ever scored with, kept for audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class StoredDefinition(Base):
    """A published questionnaire definition, by content hash; rows are never changed."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    content: Mapped[dict[str, Any]]
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
