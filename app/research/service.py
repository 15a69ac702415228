"""Research rows: which assessments may be used, and the de-identified columns of each.

An assessment is research data only if its person consented when they submitted it AND still
consents now (withdrawing removes them from later exports), and it belongs to the organization
through a client. App respondents without a client belong to no organization: never exported.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Select,
    SQLColumnExpression,
    Text,
    cast,
    func,
    literal_column,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from app.assessments.models import SUBMITTED, Assessment, Result
from app.clinic.models import Client
from app.questionnaires.model import Definition
from app.research.periods import Window
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
    window: Window = field(default_factory=Window)
    items: bool = False
    format: str = "csv"

    def filters(self) -> dict[str, Any]:
        """The filters, as written to the audit log (no key, no personal data)."""
        return {
            "questionnaire": self.definition.id,
            "version": self.definition.version,
            **self.window.labels(),
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


def within(
    answered_at: SQLColumnExpression[datetime | None], window: Window
) -> list[ColumnElement[bool]]:
    """Conditions for a time in the window: from the start of its first period (inclusive)
    to the end of its last (exclusive)."""
    conditions = []
    if window.low is not None:
        conditions.append(answered_at >= window.low)
    if window.high is not None:
        conditions.append(answered_at < window.high)
    return conditions


def people_statement(spec: ExportSpec) -> Select[Any]:
    """The distinct people an export's rows belong to."""
    return (
        research_select(Assessment.respondent_id)
        .where(
            *consented(spec.organization_id, spec.definition.id),
            Assessment.questionnaire_version == spec.definition.version,
            *within(Assessment.answered_at, spec.window),
        )
        .distinct()
    )


def export_rows_statement(spec: ExportSpec) -> Select[Any]:
    """The ids of an export's rows, unordered: the same rows as `export_statement` (whose
    filters on version and period apply after the sequence is counted, which drops no row)."""
    return research_select(Assessment.id).where(
        *consented(spec.organization_id, spec.definition.id),
        Assessment.questionnaire_version == spec.definition.version,
        *within(Assessment.answered_at, spec.window),
    )


def scale_columns(definition: Definition) -> list[ColumnElement[Any]]:
    """Score and band of each scale, read in SQL so the stored trace is never loaded."""
    columns: list[ColumnElement[Any]] = []
    # Results list scales in definition order (the engine scores them in that order).
    for n, _ in enumerate(definition.scales):
        columns.append(Result.score[("scales", n, "score")].as_float())
        columns.append(Result.score[("scales", n, "band")].as_string())
    return columns


def _scores_read_once(definition: Definition) -> tuple[Any, list[ColumnElement[Any]]]:
    """PostgreSQL: a LATERAL that takes the scales and flags out of the stored score once per
    row, and the flags (JSON text) and each scale's score and band from those.

    The score is a compressed (TOASTed) JSON document, and each reference to the column
    decompresses it again: nine times a row with per-column paths. OFFSET 0 keeps each
    subquery whole (not flattened into the outer query), so the document is read twice,
    and only the small values, not the document, go through the sort of the window."""
    parts = (
        select(Result.score["scales"].label("scales"), Result.score["flags"].label("flags"))
        .correlate(Result)
        .offset(literal_column("0"))
        .lateral("score_parts")
    )
    values: list[ColumnElement[Any]] = [cast(parts.c.flags, Text).label("flags")]
    names = ["flags"]
    for n, _ in enumerate(definition.scales):
        values.append(parts.c.scales[(n, "score")].as_float().label(f"s{2 * n}"))
        values.append(parts.c.scales[(n, "band")].as_string().label(f"s{2 * n + 1}"))
        names += [f"s{2 * n}", f"s{2 * n + 1}"]
    once = select(*values).select_from(parts).correlate(Result).offset(literal_column("0"))
    lateral = once.lateral("score_values")
    return lateral, [lateral.c[name] for name in names]


#: Positions in an export row (`export_statement`'s columns), read by index on the hot path.
ID, PERSON, HASH, ENGINE, AT, SEQUENCE, SOURCE, PROFILE, FLAGS = range(9)
SCORES = 9  # then score and band of each scale, then first_at and answers when asked for


def export_statement(spec: ExportSpec, dialect: str = "sqlite") -> Select[Any]:
    """The rows of an export, ordered by person and sequence (never by time across people).

    Its columns, in order (`ID` … `SCORES`): assessment id, person id, definition hash,
    engine version, answered at, sequence, source, profile, flags (JSON text), score and band
    of each scale, then the first time (days_since_first only) and the answers (items only).
    On PostgreSQL (`dialect`) the stored score is read once a row (`_scores_read_once`)."""
    person = Assessment.respondent_id
    answered_at: Any = Assessment.answered_at
    if dialect == "postgresql":
        # asyncpg hands timestamptz over in UTC already: skip UTCDateTime's per-row Python.
        answered_at = type_coerce(Assessment.answered_at, DateTime(timezone=True))
        lateral, scores = _scores_read_once(spec.definition)
    else:
        lateral = None
        scores = [Result.score["flags"].as_string().label("flags")]
        scores += [c.label(f"s{n}") for n, c in enumerate(scale_columns(spec.definition))]
    inner = [
        Assessment.id.label("assessment_id"),
        Assessment.respondent_id.label("respondent_id"),
        Assessment.questionnaire_version.label("version"),
        Assessment.definition_hash.label("definition_hash"),
        Result.engine_version.label("engine_version"),
        answered_at.label("answered_at"),
        func.row_number()
        .over(partition_by=person, order_by=(Assessment.answered_at, Assessment.id))
        .label("sequence"),
        Assessment.source.label("source"),
        Result.profile.label("profile"),
        *scores,
    ]
    if spec.scope.finer_time == "days_since_first":
        inner.append(func.min(answered_at).over(partition_by=person).label("first_at"))
    if spec.items:
        inner.append(Assessment.answers.label("answers"))
    # The sequence counts all of a person's research-usable assessments of the questionnaire,
    # so it stays the same whichever period or version is exported.
    ranked = research_select(*inner)
    if lateral is not None:
        ranked = ranked.join(lateral, true())
    ranked = ranked.where(*consented(spec.organization_id, spec.definition.id))
    sub = ranked.subquery("ranked")
    conditions = [sub.c.version == spec.definition.version, *within(sub.c.answered_at, spec.window)]
    columns = [column for column in sub.c if column.key != "version"]  # one value: no need
    return select(*columns).where(*conditions).order_by(sub.c.respondent_id, sub.c.sequence)


@dataclass(frozen=True)
class RowLayout:
    """Where a row's optional values are, and what to make of its scores: shared by the
    row makers (`row_maker`, and `app.research.csvrows` for CSV)."""

    whole: list[bool]  # per scale: a whole-number scale reads 12, not 12.0
    item_ids: list[str]
    first_at: int  # position of first_at (days_since_first only)
    answers: int  # position of the answers (items only)

    @classmethod
    def of(cls, spec: ExportSpec) -> RowLayout:
        """The layout of `spec`'s rows."""
        scales = spec.definition.scales
        first_at = SCORES + 2 * len(scales)
        answers = first_at + (spec.scope.finer_time == "days_since_first")
        item_ids = [item.id for item in spec.definition.items] if spec.items else []
        return cls([scale.precision == 0 for scale in scales], item_ids, first_at, answers)


class LastPerson:
    """The pseudonym of the last person seen: rows come ordered by person, so this makes one
    HMAC per person rather than per row, and holds nothing that grows with the export."""

    def __init__(self, pseudonyms: Pseudonymizer) -> None:
        self._person = pseudonyms.person
        self._last: Any = None
        self._key = ""

    def __call__(self, person: uuid.UUID) -> str:
        if person != self._last:
            self._last, self._key = person, self._person(person)
        return self._key


class JoinedFlags(dict[str | None, str]):
    """Flags as the export writes them (`a;b`), from the stored JSON text; each distinct
    text is decoded once (there are few: combinations of the definition's flags)."""

    def __missing__(self, text: str | None) -> str:
        joined = self[text] = ";".join(json.loads(text) or ()) if text else ""
        return joined


def row_maker(spec: ExportSpec) -> Callable[[Sequence[Any]], list[Any]]:
    """A function from a database row (`export_statement`'s) to the export's values, in
    column order (JSON Lines; CSV lines are made by `app.research.csvrows` to the same
    rules). It runs once per exported row, so it reads by position."""
    pseudonyms = Pseudonymizer(spec.scope.key)
    assessment_key = pseudonyms.assessment
    person_key = LastPerson(pseudonyms)
    layout = RowLayout.of(spec)
    head = [spec.definition.id, spec.definition.version]
    finer = _finer_time(spec.scope.finer_time)
    needs_first = days_since_first(spec.scope.finer_time)
    flags_of = JoinedFlags()

    def make(row: Sequence[Any]) -> list[Any]:
        answered_at = row[AT]
        values: list[Any] = [person_key(row[PERSON]), assessment_key(row[ID]), *head]
        values += [row[HASH], row[ENGINE], answered_at.year, row[SEQUENCE]]
        if finer is not None:
            first = row[layout.first_at] if needs_first else None
            values.append(finer(answered_at, first))
        values.append(row[SOURCE])
        position = SCORES
        for whole in layout.whole:
            score = row[position]
            if score is not None and whole:
                score = int(score)
            values += [score, row[position + 1]]
            position += 2
        values += [row[PROFILE], flags_of[row[FLAGS]]]
        if layout.item_ids:
            answers = row[layout.answers] or {}
            values.extend(answers.get(item_id) for item_id in layout.item_ids)
        return values

    return make


def finer_time_of(spec: ExportSpec) -> Callable[[datetime, Any], Any] | None:
    """The designated finer time element's function (at, first_at), or None."""
    return _finer_time(spec.scope.finer_time)


def days_since_first(kind: str | None) -> bool:
    """Whether the finer element needs the person's first time (`first_at`)."""
    return kind == "days_since_first"


def _days_since(at: datetime, first: Any) -> Any:
    return (at - first).days


def _finer_time(kind: str | None) -> Callable[[datetime, Any], Any] | None:
    """The designated finer time element: ISO week, month, or days since the first."""
    if kind == "week":
        return lambda at, _first: "{}-W{:02d}".format(*at.isocalendar()[:2])
    if kind == "month":
        return lambda at, _first: f"{at.year}-{at.month:02d}"
    if kind == "days_since_first":
        return _days_since
    return None
