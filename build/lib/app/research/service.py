"""Research rows: which assessments may be used, and the de-identified columns of each.

An assessment is research data only if its person consented when they submitted it AND still
consents now (withdrawing removes them from later exports), and it belongs to the organization
through a client. App respondents without a client belong to no organization: never exported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from app.assessments.models import SUBMITTED, Assessment, Result
from app.clinic.models import Client
from app.questionnaires.model import Definition
from app.research.pseudonyms import Pseudonymizer
from app.respondents.models import Respondent

#: The only date element a row carries unless a designated study allows a finer one.
FINER_TIME_COLUMNS = {"week": "iso_week", "month": "month", "days_since_first": "days_since_first"}


@dataclass(frozen=True)
class Scope:
    """Whose key the pseudonyms are under, and the time detail the rows may carry."""

    key: bytes
    study_id: uuid.UUID | None = None
    study_name: str | None = None
    designation: str = "none"
    finer_time: str | None = None

    @property
    def label(self) -> str:
        """`request` or `study`: how far the pseudonyms link (the Attune-Pseudonym-Scope)."""
        return "request" if self.study_id is None else "study"


@dataclass(frozen=True)
class ExportSpec:
    """What to export: one organization, one questionnaire version, a period, the options."""

    organization_id: uuid.UUID
    definition: Definition
    scope: Scope
    start: date | None = None
    end: date | None = None
    items: bool = False
    format: str = "csv"

    def filters(self) -> dict[str, Any]:
        """The filters, as written to the audit log (no key, no personal data)."""
        return {
            "questionnaire": self.definition.id,
            "version": self.definition.version,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "format": self.format,
            "items": self.items,
            "study": self.scope.study_name,
            "pseudonym_scope": self.scope.label,
            "designation": self.scope.designation,
            "finer_time": self.scope.finer_time,
        }


def variable(name: str) -> str:
    """A column-safe name for R, pandas and SPSS: hyphens become underscores."""
    return name.replace("-", "_")


def column_names(definition: Definition, *, items: bool, finer_time: str | None) -> list[str]:
    """Every column of an export, in order."""
    names = ["person_key", "assessment_key", "questionnaire_id", "questionnaire_version"]
    names += ["definition_hash", "engine_version", "year", "sequence"]
    if finer_time is not None:
        names.append(FINER_TIME_COLUMNS[finer_time])
    names.append("source")
    for scale in definition.scales:
        names += [f"score_{variable(scale.id)}", f"band_{variable(scale.id)}"]
    names += ["profile", "flags"]
    if items:
        names += [f"item_{variable(item.id)}" for item in definition.items]
    if len(set(names)) != len(names):
        raise ValueError(f"{definition.key}: two ids map to the same column name")
    return names


def consented(organization_id: uuid.UUID, questionnaire_id: str) -> list[ColumnElement[bool]]:
    """Conditions for research use: submitted, consented then and now, in the organization."""
    return [
        Client.organization_id == organization_id,
        Assessment.questionnaire_id == questionnaire_id,
        Assessment.status == SUBMITTED,
        Assessment.research_consent.is_(True),
        Respondent.research_consent.is_(True),
    ]


def research_select(*columns: Any) -> Select[Any]:
    """SELECT columns FROM submitted assessments joined to their result, client and person."""
    return (
        select(*columns)
        .select_from(Assessment)
        .join(Result, Result.assessment_id == Assessment.id)
        .join(Client, Client.respondent_id == Assessment.respondent_id)
        .join(Respondent, Respondent.id == Assessment.respondent_id)
    )


def period_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start 00:00 UTC, the day after end 00:00 UTC): `to` is inclusive."""
    low = datetime.combine(start, time(), UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time(), UTC) if end else None
    return low, high


def scale_columns(definition: Definition) -> list[ColumnElement[Any]]:
    """Score and band of each scale, read in SQL so the stored trace is never loaded."""
    columns: list[ColumnElement[Any]] = []
    # Results list scales in definition order (the engine scores them in that order).
    for n, _ in enumerate(definition.scales):
        columns.append(Result.score[("scales", n, "score")].as_float())
        columns.append(Result.score[("scales", n, "band")].as_string())
    return columns


def export_statement(spec: ExportSpec) -> Select[Any]:
    """The rows of an export, ordered by person and sequence (never by time across people)."""
    person = Assessment.respondent_id
    inner = [
        Assessment.id.label("assessment_id"),
        Assessment.respondent_id.label("respondent_id"),
        Assessment.questionnaire_version.label("version"),
        Assessment.definition_hash.label("definition_hash"),
        Result.engine_version.label("engine_version"),
        Assessment.answered_at.label("answered_at"),
        func.row_number()
        .over(partition_by=person, order_by=(Assessment.answered_at, Assessment.id))
        .label("sequence"),
        Assessment.source.label("source"),
        Result.profile.label("profile"),
        Result.score["flags"].label("flags"),
        *(c.label(f"s{n}") for n, c in enumerate(scale_columns(spec.definition))),
    ]
    if spec.scope.finer_time == "days_since_first":
        inner.append(func.min(Assessment.answered_at).over(partition_by=person).label("first_at"))
    if spec.items:
        inner.append(Assessment.answers.label("answers"))
    # The sequence counts all of a person's research-usable assessments of the questionnaire,
    # so it stays the same whichever period or version is exported.
    ranked = research_select(*inner).where(*consented(spec.organization_id, spec.definition.id))
    sub = ranked.subquery("ranked")
    low, high = period_bounds(spec.start, spec.end)
    conditions = [sub.c.version == spec.definition.version]
    if low is not None:
        conditions.append(sub.c.answered_at >= low)
    if high is not None:
        conditions.append(sub.c.answered_at < high)
    return select(sub).where(*conditions).order_by(sub.c.respondent_id, sub.c.sequence)


def row_maker(spec: ExportSpec) -> Callable[[Any], list[Any]]:
    """A function from a database row to the export's values, in column order."""
    pseudonyms = Pseudonymizer(spec.scope.key)
    definition = spec.definition
    head = [definition.id, definition.version]
    precisions = [scale.precision for scale in definition.scales]
    item_ids = [item.id for item in definition.items] if spec.items else []
    finer = _finer_time(spec.scope.finer_time)

    def make(row: Any) -> list[Any]:
        values: list[Any] = [
            pseudonyms.person(row.respondent_id),
            pseudonyms.assessment(row.assessment_id),
        ]
        values += [*head, row.definition_hash, row.engine_version]
        values += [row.answered_at.year, row.sequence]
        if finer is not None:
            values.append(finer(row.answered_at, getattr(row, "first_at", None)))
        values.append(row.source)
        values += _scores(row, precisions)
        values += [row.profile, ";".join(row.flags or ())]
        if item_ids:
            answers = row.answers or {}
            values.extend(answers.get(item_id) for item_id in item_ids)
        return values

    return make


def _scores(row: Any, precisions: Sequence[int]) -> list[Any]:
    values: list[Any] = []
    for n, precision in enumerate(precisions):
        score = getattr(row, f"s{2 * n}")
        if score is not None and precision == 0:
            score = int(score)  # a whole-number scale reads 12, not 12.0
        values += [score, getattr(row, f"s{2 * n + 1}")]
    return values


def _finer_time(kind: str | None) -> Callable[[datetime, Any], Any] | None:
    """The designated finer time element: ISO week, month, or days since the first."""
    if kind == "week":
        return lambda at, _first: "{}-W{:02d}".format(*at.isocalendar()[:2])
    if kind == "month":
        return lambda at, _first: f"{at.year}-{at.month:02d}"
    if kind == "days_since_first":
        return lambda at, first: (at - first).days
    return None
