"""The codebook of an export: every column, its type and values, the items and the rules."""

from __future__ import annotations

import csv
import io
from typing import Literal

from app.questionnaires.model import Definition, Item, Scale
from app.research.schemas import Codebook, CodebookColumn, DeIdentification, ScaleRules
from app.research.service import FINER_TIME_COLUMNS, Scope, column_names, variable

SAFE_HARBOR = (
    "No date element finer than the year (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)(i)(C)); "
    "a person's assessments are ordered by `sequence`."
)
FINER = {
    "week": ("iso_week", "ISO 8601 week the assessment was answered (UTC), e.g. 2024-W05."),
    "month": ("month", "Month the assessment was answered (UTC), e.g. 2024-03."),
    "days_since_first": (
        "days_since_first",
        "Whole days since the person's first assessment of this questionnaire (0 for the first).",
    ),
}


def de_identification(scope: Scope, min_people: int) -> DeIdentification:
    """What the rows are: the pseudonym scope, the designation, the time detail and the
    rules every export and aggregate follows."""
    if scope.study_id is None:
        keys = "HMAC-SHA256 under a random key made for this export and then discarded: two "
        keys += "exports cannot be linked."
    else:
        keys = "HMAC-SHA256 under the study's key, derived on the server and never released: "
        keys += "every export of the study uses the same pseudonyms."
    time = SAFE_HARBOR
    units = "whole years"
    if scope.finer_time is not None:
        time = f"Designated {scope.designation}: also {FINER_TIME_COLUMNS[scope.finer_time]}."
        if scope.finer_time in ("week", "month"):
            units += f" or whole {'ISO weeks' if scope.finer_time == 'week' else 'months'}"
    return DeIdentification.model_validate(
        {
            "pseudonym_scope": scope.label,
            "study": scope.study_name,
            "designation": scope.designation,
            "finer_time": scope.finer_time,
            "pseudonyms": keys,
            "dates": time,
            "filters": f"from and to are {units} (UTC), never finer than the rows show, so no "
            "sequence of exports or aggregates dates an assessment more finely than this",
            "min_people": min_people,
            "population": f"an export or set of aggregates describing fewer than {min_people} "
            "people is refused; in aggregates, cells of 1 to "
            f"{min_people - 1} people are suppressed",
            "never": "names, emails, client labels, free text, internal ids, exact timestamps, "
            "therapist identity",
            "consent": "only assessments whose person consented to research when submitting and "
            "still consents at the time of the export",
        }
    )


def codebook(
    definition: Definition, definition_hash: str, scope: Scope, min_people: int
) -> Codebook:
    """The codebook of exports of this definition under this scope."""
    columns = _fixed_columns(definition, definition_hash, scope)
    for scale in definition.scales:
        columns += _scale_columns(definition, scale)
    columns += _rule_columns(definition)
    columns += [_item_column(definition, item) for item in definition.items]
    expected = column_names(definition, items=True, finer_time=scope.finer_time)
    if [c.name for c in columns] != expected:  # pragma: no cover - a column added to one side only
        raise RuntimeError("the codebook and the export disagree on the columns")
    return Codebook(
        questionnaire_id=definition.id,
        questionnaire_version=definition.version,
        definition_hash=definition_hash,
        title=definition.title,
        citation=definition.citation,
        license=definition.license,
        coding_note=definition.coding_note,
        validated=definition.validated,
        locales=definition.locales,
        de_identification=de_identification(scope, min_people),
        columns=columns,
        scales=[_scale_rules(definition, s) for s in definition.scales],
        profiles=list(definition.profiles),
        flags=list(definition.flags),
    )


#: (name, type, description) of the columns every export starts with.
FIXED: list[tuple[str, Literal["string", "integer"], str]] = [
    ("person_key", "string", "Pseudonym of the person ({key})."),
    ("assessment_key", "string", "Pseudonym of the assessment ({key})."),
    ("questionnaire_id", "string", "Questionnaire id."),
    ("questionnaire_version", "string", "Questionnaire version (semver)."),
    ("definition_hash", "string", "SHA-256 of the exact definition scored."),
    ("engine_version", "string", "Version of the scoring engine that computed the scores."),
    ("year", "integer", "Year the assessment was answered (UTC)."),
    (
        "sequence",
        "integer",
        "1 for the person's first assessment of this questionnaire, 2 for the second, and so on.",
    ),
]


def _fixed_columns(
    definition: Definition, definition_hash: str, scope: Scope
) -> list[CodebookColumn]:
    key = "32 hex characters; " + ("per export" if scope.study_id is None else "per study")
    known = {
        "questionnaire_id": [definition.id],
        "questionnaire_version": [definition.version],
        "definition_hash": [definition_hash],
    }
    columns = [
        CodebookColumn(
            name=name,
            type=kind,
            present="always",
            description=text.format(key=key),
            values=known.get(name),
            minimum=1 if name == "sequence" else None,
        )
        for name, kind, text in FIXED
    ]
    if scope.finer_time is not None:
        name, text = FINER[scope.finer_time]
        kind = "integer" if scope.finer_time == "days_since_first" else "string"
        present = f"study designated {scope.designation}"
        columns.append(CodebookColumn(name=name, type=kind, description=text, present=present))
    columns.append(
        CodebookColumn(
            name="source",
            type="string",
            present="always",
            values=["app", "intake"],
            description="app: answered in an app; intake: through a therapist's link.",
        )
    )
    return columns


def _scale_columns(definition: Definition, scale: Scale) -> list[CodebookColumn]:
    low, high = definition.score_range(scale)
    if scale.max_missing is not None:
        needed = f"scored with at most {scale.max_missing} item(s) missing"
    else:
        needed = f"scored when at least {scale.min_answered:.0%} answered"
    prorating = ", prorated" if scale.prorate else ", not prorated (sum of the answered items)"
    rule = (
        f"{scale.method} of item scores {', '.join(scale.items)}; {needed}{prorating}; "
        "rounded half up "
        f"to {scale.precision} decimals; empty when insufficient"
    )
    bands = {
        b.id: {loc: f"{b.min} to {b.max}: {text}" for loc, text in b.label.items()}
        for b in scale.bands
    }
    return [
        CodebookColumn(
            name=f"score_{variable(scale.id)}",
            type="number",
            present="always",
            description=f"Score of the scale {scale.title[definition.default_locale]}.",
            minimum=low,
            maximum=high,
            scoring=rule,
        ),
        CodebookColumn(
            name=f"band_{variable(scale.id)}",
            type="string",
            present="always",
            description="Band the score falls in; empty when insufficient.",
            values=list(bands),
            value_labels=bands,
        ),
    ]


def _rule_columns(definition: Definition) -> list[CodebookColumn]:
    profiles = {r.id: r.label for r in definition.profiles}
    flags = {r.id: r.label for r in definition.flags}
    return [
        CodebookColumn(
            name="profile",
            type="string",
            present="always",
            values=list(profiles),
            value_labels=profiles,
            description="The first profile whose rule holds (see profiles).",
        ),
        CodebookColumn(
            name="flags",
            type="string",
            present="always",
            values=list(flags),
            value_labels=flags,
            description="Flags raised, separated by ';' (empty when none; see flags).",
        ),
    ]


def _item_column(definition: Definition, item: Item) -> CodebookColumn:
    options = definition.response_scales[item.scale].options
    if item.reverse:
        low, high = definition.item_score_range(item)
        scoring = f"reverse-keyed: item score = {low + high} minus the answer"
    elif item.recode is not None:
        scoring = "recoded: " + ", ".join(f"{a}->{s}" for a, s in item.recode.items())
    else:
        scoring = "item score = answer"
    not_applicable = [o.value for o in options if o.not_applicable]
    if not_applicable:
        scoring += f"; {', '.join(map(str, not_applicable))} = not applicable, counted as missing"
    return CodebookColumn(
        name=f"item_{variable(item.id)}",
        type="integer",
        present="items=true",
        description=f"Answer to item {item.id} ({item.concept}); empty when unanswered.",
        values=[o.value for o in options],
        item_text=item.text,
        scoring=scoring,
        value_labels={str(o.value): o.label for o in options},
    )


def _scale_rules(definition: Definition, scale: Scale) -> ScaleRules:
    low, high = definition.score_range(scale)
    return ScaleRules.model_validate(scale.model_dump() | {"minimum": low, "maximum": high})


def codebook_csv(book: Codebook) -> str:
    """The columns as a CSV table, one row per export column, texts per locale."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    locales = book.locales
    writer.writerow(
        [
            "column",
            "type",
            "present",
            "description",
            "values",
            "minimum",
            "maximum",
            "scoring",
            *(f"text_{loc}" for loc in locales),
            *(f"labels_{loc}" for loc in locales),
        ]
    )
    for column in book.columns:
        texts = [(column.item_text or {}).get(loc, "") for loc in locales]
        labels = [_labels(column, loc) for loc in locales]
        values = ";".join(str(v) for v in column.values or [])
        writer.writerow(
            [
                column.name,
                column.type,
                column.present,
                column.description,
                values,
                column.minimum,
                column.maximum,
                column.scoring or "",
                *texts,
                *labels,
            ]
        )
    return buffer.getvalue()


def _labels(column: CodebookColumn, locale: str) -> str:
    labels = column.value_labels or {}
    return "; ".join(f"{value}={texts.get(locale, '')}" for value, texts in labels.items())
