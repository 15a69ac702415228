"""Request and response bodies of the assessment, submission and history endpoints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, field_validator
from typing_extensions import TypeAliasType

from app.questionnaires.model import SEMVER, SLUG
from app.scoring.change import Change
from app.scoring.feedback import Feedback
from app.scoring.result import ScaleScore, TraceStep

QuestionnaireId = Annotated[str, Field(pattern=SLUG, examples=["window-of-tolerance"])]
Version = Annotated[str, Field(pattern=SEMVER, examples=["1.0.0"])]
#: item id -> the value of the chosen option. Strict: "3" and true are not answers.
Answers = dict[Annotated[str, Field(max_length=64)], StrictInt]
#: The range of a plausible `answered_at`: Attune did not exist before, and clocks drift a little.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=5)
#: Named types become one enum each in generated clients (not one per field).
AssessmentStatus = TypeAliasType("AssessmentStatus", Literal["in_progress", "submitted"])
AssessmentSource = TypeAliasType("AssessmentSource", Literal["app", "intake"])


class Schema(BaseModel):
    """Base of API bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class AssessmentCreate(Schema):
    """Start answering a questionnaire, optionally with some answers already."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"questionnaire_id": "three-item-loneliness", "answers": {"left-out": 1}}]
        },
    )

    questionnaire_id: QuestionnaireId
    version: Version | None = Field(None, description="A published version; latest if absent.")
    answers: Answers = Field(default_factory=dict, max_length=500)


class AnswersUpdate(Schema):
    """Answers to add or change; `null` removes an answer. Other answers are kept."""

    model_config = ConfigDict(extra="forbid", strict=True)

    answers: dict[Annotated[str, Field(max_length=64)], StrictInt | None] = Field(
        min_length=1, max_length=500, examples=[{"hyper_1": 3, "hypo_2": None}]
    )


class Progress(Schema):
    """How many items have an answer."""

    answered: int
    total: int


class AssessmentRead(Schema):
    """An assessment: its answers so far, or as submitted."""

    id: uuid.UUID
    questionnaire_id: str
    questionnaire_version: str
    definition_hash: str
    status: AssessmentStatus
    source: AssessmentSource
    answers: dict[str, int]
    progress: Progress
    revision: int = Field(description="Also the ETag; send it in If-Match to save safely.")
    created_at: datetime
    updated_at: datetime
    answered_at: datetime | None
    submitted_at: datetime | None


class ScaleResult(ScaleScore):
    """A scale's score with its title and band label in the requested language."""

    title: str
    band_label: str | None


class Label(Schema):
    """A profile or flag by id, with its label in the requested language."""

    id: str
    label: str


class ResultRead(Schema):
    """Scores, the rule trace and feedback of a submitted assessment."""

    assessment_id: uuid.UUID
    questionnaire_id: str
    questionnaire_version: str
    definition_hash: str
    engine_version: str
    answered_at: datetime | None
    submitted_at: datetime
    locale: str
    scales: list[ScaleResult]
    profile: Label | None
    flags: list[Label]
    trace: list[TraceStep]
    feedback: Feedback


class SubmissionCreate(Schema):
    """A whole assessment answered offline, sent once (or again, safely, on retry)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5b1f4f8e-2c7a-4f57-9a3c-0d6f2b1e9a10",
                    "questionnaire_id": "three-item-loneliness",
                    "answers": {"lack-companionship": 2, "left-out": 1, "isolated": 2},
                    "answered_at": "2026-11-20T08:30:00+01:00",
                }
            ]
        },
    )

    # JSON has no UUID or time type: these two are strings, parsed (strict=False).
    id: uuid.UUID = Field(
        strict=False, description="Made by the client; a retry sends the same id."
    )
    questionnaire_id: QuestionnaireId
    version: Version | None = Field(None, description="A published version; latest if absent.")
    answers: Answers = Field(min_length=1, max_length=500)
    answered_at: AwareDatetime = Field(
        strict=False,
        description="When the person finished, with a time zone: not before 2000, not later "
        "than now (allowing five minutes of clock skew).",
    )

    @field_validator("answered_at", mode="before")
    @classmethod
    def _time_as_text(cls, value: object) -> object:
        # Lax parsing (strict=False) would also take a number as Unix time.
        if not isinstance(value, str | datetime):
            raise ValueError("must be an ISO 8601 time as a string")
        return value

    @field_validator("answered_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        now = datetime.now(UTC)
        # The year first: converting 0001-01-01T00:00+14:00 to UTC would overflow.
        if value.year < EARLIEST.year:
            raise ValueError("must be a time since 2000")
        if value.year > now.year + 1:
            raise ValueError("must not be in the future")
        if value.astimezone(UTC) < EARLIEST:
            raise ValueError("must be a time since 2000")
        if value.astimezone(UTC) > now + CLOCK_SKEW:
            raise ValueError("must not be in the future")
        return value


class SubmissionRead(Schema):
    """The stored assessment and its result."""

    client_id: uuid.UUID
    assessment: AssessmentRead
    result: ResultRead


class HistoryEntry(Schema):
    """One assessment in the caller's history."""

    assessment_id: uuid.UUID
    questionnaire_id: str
    questionnaire_version: str
    status: AssessmentStatus
    progress: Progress
    created_at: datetime
    answered_at: datetime | None
    profile: str | None
    flags: list[str]
    scores: dict[str, float | None] = Field(description="Scale id -> score (null: insufficient).")


class HistoryPage(Schema):
    """A page of history, newest first; pass `next_cursor` as `cursor` for the next."""

    items: list[HistoryEntry]
    next_cursor: str | None


class TrendPoint(Schema):
    """A scale's score in one submitted assessment."""

    assessment_id: uuid.UUID
    questionnaire_version: str
    answered_at: datetime
    score: float | None
    band: str | None
    band_label: str | None


class TrendChange(Schema):
    """The change between two consecutive scored points."""

    from_assessment_id: uuid.UUID
    to_assessment_id: uuid.UUID
    change: Change


class TrendRead(Schema):
    """A scale over time, oldest first, with the change between consecutive scores."""

    questionnaire_id: str
    scale: str
    title: str
    concept: str
    locale: str
    points: list[TrendPoint]
    changes: list[TrendChange]
