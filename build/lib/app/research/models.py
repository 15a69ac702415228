"""Named research studies: stable pseudonyms across exports, and the time detail allowed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Timestamps, UUIDPrimaryKey

FINER_TIME = ("week", "month", "days_since_first")


class Study(UUIDPrimaryKey, Timestamps, Base):
    """A study of one organization. Its pseudonym key is derived from the server secret and
    the study id, so it is never stored and never leaves the server.

    By default an export carries no date element finer than the year (HIPAA Safe Harbor).
    An admin may mark a study a limited data set or expert-determined, allowing `finer_time`;
    that designation is audited and written into the export's header and codebook.
    """

    __tablename__ = "studies"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        CheckConstraint(
            "designation IN ('none', 'limited_data_set', 'expert_determination')",
            name="designation",
        ),
        CheckConstraint(f"finer_time IS NULL OR finer_time IN {FINER_TIME!r}", name="finer_time"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    designation: Mapped[str] = mapped_column(String(32), default="none")
    finer_time: Mapped[str | None] = mapped_column(String(32))
    designated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    designated_at: Mapped[datetime | None]
