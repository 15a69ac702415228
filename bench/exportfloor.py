"""The floor of the export benchmark: the export's rows and columns in one SQL query.

The same joins and consent filters as the research export (assessments with their result,
client and respondent; the organization through the client; submitted, consented then and
now), and the same columns as far as SQL can make them: HMAC-SHA256 pseudonyms (pgcrypto,
under a random key, the same "person:"/"assessment:" prefixes, 32 hex characters), the year,
the sequence number within the person, source, score and band of each scale read from the
stored score by position, profile, and the flags joined with ";". Ordered by person and
sequence. `COPY (this) TO STDOUT` is what PostgreSQL alone needs to hand the rows over.
"""

from __future__ import annotations

import secrets
import uuid

from app.questionnaires.model import Definition

PSEUDONYM = (
    "left(encode(hmac('{prefix}:'::bytea || uuid_send({column}), {key}, 'sha256'), 'hex'), 32)"
)


def _score_columns(definition: Definition) -> list[tuple[str, str]]:
    """(expression, name): score and band of each scale (by position, as stored), the flags."""
    columns = []
    for n, scale in enumerate(definition.scales):
        name = scale.id.replace("-", "_")
        score = f"round((x.scales #>> '{{{n},score}}')::numeric, {scale.precision})"
        columns += [(score, f"score_{name}"), (f"x.scales #>> '{{{n},band}}'", f"band_{name}")]
    flags = "array_to_string(ARRAY(SELECT jsonb_array_elements_text(x.flags)), ';')"
    return [*columns, (flags, "flags")]


def score_once(definition: Definition) -> str:
    """A LATERAL that reads the stored score once per row and yields its plain columns.

    The score is a compressed JSON document and each reference to it decompresses it again
    (OFFSET 0 keeps the inner subquery whole, so it is read twice, not once per column);
    taking the values out before the sort also keeps the document itself out of the sort.
    """
    values = ", ".join(f"{expression} AS {name}" for expression, name in _score_columns(definition))
    inner = "SELECT r.score -> 'scales' AS scales, r.score -> 'flags' AS flags OFFSET 0"
    return f"CROSS JOIN LATERAL (SELECT {values} FROM ({inner}) AS x) AS s"  # noqa: S608


def floor_columns(definition: Definition, key: str) -> list[str]:
    """The SELECT list, in the export's column order; `key` is a bytea SQL literal."""
    return [
        PSEUDONYM.format(prefix="person", column="a.respondent_id", key=key) + " AS person_key",
        PSEUDONYM.format(prefix="assessment", column="a.id", key=key) + " AS assessment_key",
        "a.questionnaire_id",
        "a.questionnaire_version",
        "a.definition_hash",
        "r.engine_version",
        "extract(year FROM a.answered_at AT TIME ZONE 'UTC')::int AS year",
        "row_number() OVER (PARTITION BY a.respondent_id ORDER BY a.answered_at, a.id) AS sequence",
        "a.source",
        *(f"s.{name}" for _, name in _score_columns(definition)[:-1]),
        "r.profile",
        "s.flags",
    ]


def from_where(definition: Definition, organization_id: str) -> str:
    """FROM … WHERE … of every exportable row of `definition` in the organization."""
    return (
        "FROM assessments AS a\n"
        "JOIN results AS r ON r.assessment_id = a.id\n"
        "JOIN clients AS c ON c.respondent_id = a.respondent_id\n"
        "JOIN respondents AS p ON p.id = a.respondent_id\n"
        f"{score_once(definition)}\n"
        f"WHERE c.organization_id = '{organization_id}'\n"
        f"  AND a.questionnaire_id = '{definition.id}'\n"
        f"  AND a.questionnaire_version = '{definition.version}'\n"
        "  AND a.status = 'submitted' AND a.research_consent AND p.research_consent"
    )


def floor_sql(definition: Definition, organization_id: str, fmt: str = "csv") -> str:
    """SELECT … of the export, ordered by person and sequence; jsonl: one JSON object a row."""
    key = f"'\\x{secrets.token_hex(32)}'::bytea"
    select_list = ",\n       ".join(floor_columns(definition, key))
    where = from_where(definition, organization_id)
    sql = f"SELECT {select_list}\n{where}\nORDER BY a.respondent_id, sequence"
    if fmt == "jsonl":
        return f"SELECT row_to_json(t) FROM ({sql}) AS t"  # noqa: S608 (our own SQL)
    return sql


def app_sql(definition: Definition, organization_id: str) -> str | None:
    """The export's own SELECT (app.research.service), with its values inlined: run through
    COPY it shows what the app's query costs in PostgreSQL, without the app's Python.
    None if this build has no such statement (or it cannot be compiled)."""
    try:
        from sqlalchemy import create_mock_engine

        from app.research.service import ExportSpec, Scope, export_statement

        spec = ExportSpec(uuid.UUID(organization_id), definition, Scope(key=b"\0" * 32))
        compiled = export_statement(spec, "postgresql").compile(
            dialect=create_mock_engine("postgresql://", executor=print).dialect,
            compile_kwargs={"literal_binds": True},
        )
        return str(compiled)
    except Exception:  # a diagnostic: any failure means "not available"
        return None
