"""Seed PostgreSQL in bulk for the export benchmark: people, clients, scored assessments.

The rows are made by PostgreSQL itself with `INSERT … SELECT … FROM generate_series(…)`, so
nothing crosses the wire but the statements: faster than COPY from Python, which would send
every row's JSON (several GB for a million results). They are valid rows all the same:

* answers and scores come from a few answer patterns scored once with `app.scoring.score`
  against the registered definition; row n uses pattern n mod P for both its answers and
  its result, so every stored score is the real ScoreResult dump of the stored answers;
* the definition hash is the registry's; foreign keys and constraints are checked as usual;
* ids are UUIDs derived from md5 of the row's kind and number, so the tables can be
  joined without a round trip (they are not random, which the benchmark does not need).

Who is exportable: person i belongs to the main organization unless i % 100 == 99 (a second
organization); they withdrew research consent if i % 20 == 7; assessment n was submitted
without consent if n % 23 == 3. Person i's assessments are 29 days apart from a start spread
over two years, so years and sequence numbers vary.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from app.questionnaires.registry import Registry
from app.scoring import score

QUESTIONNAIRE = "window-of-tolerance"
PATTERNS = 32
START = "2023-01-01T09:00:00Z"

CREATE_PATTERNS = """
CREATE TEMP TABLE bench_patterns (
    k int PRIMARY KEY, answers jsonb NOT NULL, score jsonb NOT NULL,
    profile text, flagged bool NOT NULL)
"""
INSERT_PATTERN = "INSERT INTO bench_patterns VALUES ($1, $2::jsonb, $3::jsonb, $4, $5)"

RESPONDENTS = """
INSERT INTO respondents (id, created_at, updated_at, locale, research_consent,
                         research_consent_at)
SELECT md5('respondent' || i)::uuid, $2::timestamptz, $2::timestamptz,
       CASE WHEN i % 3 = 0 THEN 'es' ELSE 'en' END, i % 20 <> 7, $2::timestamptz
FROM generate_series(1, $1::int) AS i
"""

CLIENTS = """
INSERT INTO clients (id, created_at, updated_at, organization_id, therapist_id, label, email,
                     respondent_id)
SELECT md5('client' || i)::uuid, $2::timestamptz, $2::timestamptz,
       CASE WHEN i % 100 = 99 THEN $4::uuid ELSE $3::uuid END,
       CASE WHEN i % 100 = 99 THEN $6::uuid ELSE $5::uuid END,
       'Bench client ' || i, 'client' || i || '@example.org', md5('respondent' || i)::uuid
FROM generate_series(1, $1::int) AS i
"""

# Row n is person i's j-th assessment; t is when it was submitted.
ROWS = """
FROM generate_series(1, $1::int) AS n
CROSS JOIN LATERAL (SELECT (n - 1) / $2::int + 1 AS i, (n - 1) % $2::int AS j) AS ij
CROSS JOIN LATERAL (
    SELECT $3::timestamptz + ((ij.i * 7919) % 1051200) * interval '1 minute'
           + ij.j * interval '29 days' AS t) AS tt
JOIN bench_patterns AS p ON p.k = n % $4::int
"""

ASSESSMENTS = (
    """
INSERT INTO assessments (id, created_at, updated_at, respondent_id, questionnaire_id,
    questionnaire_version, definition_hash, status, source, answers, revision,
    idempotency_key, answered_at, submitted_at, research_consent)
SELECT md5('assessment' || n)::uuid, tt.t, tt.t, md5('respondent' || ij.i)::uuid, $5, $6, $7,
       'submitted', CASE WHEN ij.j = 0 THEN 'intake' ELSE 'app' END, p.answers, 2,
       'bench-' || n, tt.t, tt.t, n % 23 <> 3
"""
    + ROWS
)

RESULTS = (
    """
INSERT INTO results (id, assessment_id, definition_hash, engine_version, score, profile,
                     flagged, created_at)
SELECT md5('result' || n)::uuid, md5('assessment' || n)::uuid, $5, $6, p.score, p.profile,
       p.flagged, tt.t
"""
    + ROWS
)


@dataclass(frozen=True)
class Pattern:
    """One set of answers and the real dump of its score."""

    answers: dict[str, int]
    score: dict[str, Any]
    profile: str | None
    flagged: bool


@dataclass
class Seeded:
    """What seeding wrote and how long each step took."""

    people: int
    assessments: int
    definition_hash: str
    engine_version: str
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rows_written(self) -> int:
        """Rows in respondents, clients, assessments and results together."""
        return 2 * self.people + 2 * self.assessments

    @property
    def total_seconds(self) -> float:
        """Wall time of every step."""
        return sum(self.seconds.values())


def patterns(registry: Registry, count: int = PATTERNS) -> list[Pattern]:
    """`count` answer patterns (every fourth misses one item, so prorating shows) scored once."""
    definition = registry.get(QUESTIONNAIRE)
    digest = registry.hash(definition)
    rng = random.Random(4)
    found: list[Pattern] = []
    for k in range(count):
        answers = {
            item.id: rng.choice(definition.response_scales[item.scale].values)
            for item in definition.items
        }
        if k % 4 == 3:
            del answers[rng.choice(sorted(answers))]
        scored = score(definition, answers, definition_hash=digest)
        dump = scored.model_dump(mode="json")
        found.append(Pattern(answers, dump, scored.profile, bool(scored.flags)))
    return found


async def _timed(seeded: Seeded, step: str, connection: Any, sql: str, *args: object) -> None:
    started = time.perf_counter()
    await connection.execute(sql, *args)
    seeded.seconds[step] = time.perf_counter() - started


async def _load_patterns(connection: Any, found: list[Pattern]) -> None:
    await connection.execute(CREATE_PATTERNS)
    rows = [
        (k, json.dumps(p.answers), json.dumps(p.score), p.profile, p.flagged)
        for k, p in enumerate(found)
    ]
    await connection.executemany(INSERT_PATTERN, rows)


async def seed(
    dsn: str, rows: int, per_person: int, organizations: tuple[str, str], staff: tuple[str, str]
) -> Seeded:
    """Write `rows` scored assessments, `per_person` a person; (main, other) org and therapist."""
    registry = Registry.load()
    definition = registry.get(QUESTIONNAIRE)
    found = patterns(registry)
    people = -(-rows // per_person)
    seeded = Seeded(people, rows, registry.hash(definition), found[0].score["engine_version"])
    connection = await asyncpg.connect(dsn)
    try:
        await _load_patterns(connection, found)
        start = _start()
        people_args = (people, start, *organizations, *staff)
        await _timed(seeded, "respondents", connection, RESPONDENTS, people, start)
        await _timed(seeded, "clients", connection, CLIENTS, *people_args)
        shape = (rows, per_person, start, len(found))
        what = (QUESTIONNAIRE, definition.version, seeded.definition_hash)
        await _timed(seeded, "assessments", connection, ASSESSMENTS, *shape, *what)
        result_args = (*shape, seeded.definition_hash, seeded.engine_version)
        await _timed(seeded, "results", connection, RESULTS, *result_args)
        await _timed(seeded, "vacuum analyze", connection, "VACUUM (ANALYZE)")
    finally:
        await connection.close()
    return seeded


def _start() -> datetime:
    return datetime.fromisoformat(START)
