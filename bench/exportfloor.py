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

from app.questionnaires.model import Definition

# The stored score is a compressed JSON document: each reference to it decompresses it again,
# so the scales and flags are taken out once per row (OFFSET 0 keeps the subquery whole).
SCORE_ONCE = (
    "CROSS JOIN LATERAL (SELECT r.score -> 'scales' AS scales, r.score -> 'flags' AS flags "
    "OFFSET 0) AS s"
)
PSEUDONYM = (
    "left(encode(hmac('{prefix}:'::bytea || uuid_send({column}), {key}, 'sha256'), 'hex'), 32)"
)


def _scale_columns(definition: Definition) -> list[str]:
    columns = []
    for n, scale in enumerate(definition.scales):
        name = scale.id.replace("-", "_")
        score = f"round((s.scales #>> '{{{n},score}}')::numeric, {scale.precision})"
        columns.append(f"{score} AS score_{name}")
        columns.append(f"s.scales #>> '{{{n},band}}' AS band_{name}")
    return columns


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
        *_scale_columns(definition),
        "r.profile",
        "array_to_string(ARRAY(SELECT jsonb_array_elements_text(s.flags)), ';') AS flags",
    ]


def from_where(definition: Definition, organization_id: str) -> str:
    """FROM … WHERE … of every exportable row of `definition` in the organization."""
    return (
        "FROM assessments AS a\n"
        "JOIN results AS r ON r.assessment_id = a.id\n"
        "JOIN clients AS c ON c.respondent_id = a.respondent_id\n"
        "JOIN respondents AS p ON p.id = a.respondent_id\n"
        f"{SCORE_ONCE}\n"
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
