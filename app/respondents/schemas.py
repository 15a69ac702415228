"""Request and response bodies of the respondent and /me endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.assessments.schemas import AssessmentSource, AssessmentStatus
from app.questionnaires.model import LOCALE
from app.scoring.result import ScoreResult


class Schema(BaseModel):
    """Base of API bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class RespondentCreate(Schema):
    """An anonymous respondent; nothing here identifies a person."""

    model_config = ConfigDict(extra="forbid", strict=True)

    locale: str | None = Field(None, pattern=LOCALE, examples=["es"])
    research_consent: bool = Field(
        False, description="Whether scores may be used, anonymized, for research."
    )


class RespondentCreated(Schema):
    """The new respondent and its bearer token. The token is shown this once only."""

    id: uuid.UUID
    token: str = Field(description="Send as `Authorization: Bearer <token>`. Store it safely.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    research_consent: bool
    created_at: datetime


class ConsentUpdate(Schema):
    """Give or withdraw consent to research use of future and past scores."""

    model_config = ConfigDict(extra="forbid", strict=True)

    research: bool


class ConsentRead(Schema):
    """The current research consent and when it last changed."""

    research: bool
    updated_at: datetime | None


class ExportedAssessment(Schema):
    """One assessment as stored, with its answers and result."""

    id: uuid.UUID
    questionnaire_id: str
    questionnaire_version: str
    status: AssessmentStatus
    source: AssessmentSource
    answers: dict[str, int]
    created_at: datetime
    answered_at: datetime | None
    submitted_at: datetime | None
    research_consent: bool | None
    result: ScoreResult | None = Field(
        description="The result as stored: scores, profile, flags and the rule trace."
    )


class DataExport(Schema):
    """Everything stored about the caller (GDPR Art. 15 and 20)."""

    respondent_id: uuid.UUID
    created_at: datetime
    locale: str | None
    research_consent: bool
    research_consent_at: datetime | None
    assessments: list[ExportedAssessment]


class Erasure(Schema):
    """What was erased. The token used for this request no longer works."""

    respondent_id: uuid.UUID
    assessments: int
    results: int
    tokens: int
