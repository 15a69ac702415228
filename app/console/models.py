"""Forms the console has already carried out, so a double submit does not act twice."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, utcnow


class FormSubmission(UUIDPrimaryKey, Base):
    """One creating form, by its random nonce: who sent it and the page it led to."""

    __tablename__ = "form_submissions"

    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: Where the first submit led (the created client's page), shown again on a repeat.
    target: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
