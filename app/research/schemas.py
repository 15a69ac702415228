"""Research API schemas: studies, aggregates and the codebook."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from app.questionnaires.model import LocalizedText, Rule, Scale

Designation = TypeAliasType(
    "Designation", Literal["none", "limited_data_set", "expert_determination"]
)
FinerTime = TypeAliasType("FinerTime", Literal["week", "month", "days_since_first"])
Period = TypeAliasType("Period", Literal["year", "month", "week"])


class StudyCreate(BaseModel):
    """A new study: its name is what exports refer to (`?study=`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")


class StudyRead(BaseModel):
    """A study and what it may carry beyond Safe Harbor; never its key."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    designation: Designation
    finer_time: FinerTime | None
    designated_at: datetime | None
    created_at: datetime


class DesignationUpdate(BaseModel):
    """An admin's determination: a limited data set or expert-determined study may carry
    one finer time element; `none` keeps the Safe Harbor year only."""

    model_config = ConfigDict(extra="forbid", strict=True)

    designation: Designation
    finer_time: FinerTime | None = None


class BandCell(BaseModel):
    """Assessments in one band (or `insufficient`); null and suppressed under k people."""

    band: str
    assessments: int | None
    suppressed: bool


class ScaleAggregate(BaseModel):
    """One scale in one period: the mean score and the band distribution."""

    id: str
    mean: float | None
    mean_suppressed: bool
    bands: list[BandCell]


class AggregatePeriod(BaseModel):
    """One year, month or ISO week; a period with fewer than k people is suppressed whole."""

    period: str = Field(examples=["2024", "2024-03", "2024-W05"])
    suppressed: bool
    people: int | None
    assessments: int | None
    scales: list[ScaleAggregate] = Field(default_factory=list)


class Aggregates(BaseModel):
    """Aggregates of a questionnaire version per period, small cells suppressed."""

    questionnaire_id: str
    questionnaire_version: str
    period: Period
    study: str | None = Field(description="The study whose designation allows the period.")
    min_cell: int = Field(description="k: cells counting fewer people are suppressed.")
    periods: list[AggregatePeriod]


#: Named, so generated clients get one type each instead of `…Type0` classes.
Texts = TypeAliasType("Texts", dict[str, str])
ValueLabels = TypeAliasType("ValueLabels", dict[str, Texts])


class CodebookColumn(BaseModel):
    """One column of an export: its type, its values and when it is present."""

    name: str
    type: Literal["string", "integer", "number"]
    description: str
    present: str = Field(description="always, or the condition under which it appears")
    values: list[str | int] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    item_text: Texts | None = None
    value_labels: ValueLabels | None = None
    scoring: str | None = None


class DeIdentification(BaseModel):
    """How the rows of an export were de-identified, in words a reviewer can check."""

    pseudonym_scope: Literal["request", "study"]
    study: str | None
    designation: Designation
    finer_time: FinerTime | None
    pseudonyms: str
    dates: str
    filters: str
    min_people: int
    population: str
    never: str
    consent: str


class ScaleRules(Scale):
    """A scale's scoring rules as its definition states them, with its possible range."""

    reliability_note: LocalizedText | None = Field(default=None, exclude=True)
    minimum: float
    maximum: float


class Codebook(BaseModel):
    """Everything needed to read an export without Attune: columns, items, rules, sources."""

    questionnaire_id: str
    questionnaire_version: str
    definition_hash: str
    title: dict[str, str]
    citation: str | None
    license: str
    coding_note: str | None = None
    validated: bool
    locales: list[str]
    de_identification: DeIdentification
    columns: list[CodebookColumn]
    scales: list[ScaleRules]
    profiles: list[Rule]
    flags: list[Rule]
