"""Bodies and answers of the schedule routes and the organization's time zone."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.clinic.schemas import EmailLanguage, InvitationStatus, QuestionnaireRef
from app.schedules.calendar import MAX_OCCURRENCES

ScheduleStatus = Literal["active", "paused", "stopped"]


class Schema(BaseModel):
    """Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class ScheduleCreate(Schema):
    """Questionnaires every N days or weeks from a start, until an end or for a count."""

    questionnaires: list[str] = Field(min_length=1, max_length=10, examples=[["connection"]])
    every: int = Field(ge=1, le=365, description="N: occurrences are N units apart.")
    unit: Literal["days", "weeks"] = "weeks"
    starts_at: AwareDatetime = Field(description="The first occurrence (with its offset).")
    ends_at: AwareDatetime | None = Field(
        None, description="No occurrence after this; give this or `count`."
    )
    count: int | None = Field(
        None, ge=1, le=MAX_OCCURRENCES, description="How many occurrences; or `ends_at`."
    )
    expires_in_days: int = Field(7, ge=1, le=30, description="Each link works this long.")
    show_feedback: bool = True
    language: EmailLanguage = Field("en", description="The emails' language.")
    remind_after_days: int | None = Field(
        None, ge=1, le=30, description="K: remind an unanswered link after K days, then every K."
    )
    max_reminders: int = Field(2, ge=0, le=5, description="M: at most this many reminders.")


class OccurrenceRead(Schema):
    """One occurrence: when it was due, its invitation and where that stands."""

    number: int
    due_at: datetime = Field(description="UTC.")
    due_local: str = Field(description="In the organization's time zone and the language.")
    invitation_id: uuid.UUID | None
    status: InvitationStatus | None
    emailed: bool
    url: str | None = Field(
        description="The link to pass on by hand: only for a pending invitation of a client "
        "without an email address."
    )


class ScheduleRead(Schema):
    """A schedule, its next occurrence and those made so far."""

    id: uuid.UUID
    client_id: uuid.UUID
    questionnaires: list[QuestionnaireRef]
    every: int
    unit: str
    starts_at: datetime
    ends_at: datetime | None
    count: int | None
    occurrences_total: int
    time_zone: str
    expires_in_days: int
    remind_after_days: int | None
    max_reminders: int
    status: ScheduleStatus
    next_due_at: datetime | None = Field(description="UTC; none when nothing more is due.")
    occurrences: list[OccurrenceRead]


class ScheduleList(Schema):
    """A client's schedules, newest first."""

    items: list[ScheduleRead]


class MissedList(Schema):
    """Occurrences whose link expired unanswered, newest first."""

    items: list[OccurrenceRead]


class TimeZoneUpdate(Schema):
    """The organization's IANA time zone, for schedules, reminders and shown dates."""

    time_zone: str = Field(min_length=1, max_length=64, examples=["Europe/Madrid"])


class TimeZoneRead(Schema):
    """The organization's time zone."""

    time_zone: str
