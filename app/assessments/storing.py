"""A one-shot submission's two rows, stored in as few round trips as the database allows.

A submission is an assessment row and its result row, inserted together unless the
respondent already stored one under the same client id (a retry). On PostgreSQL that is one
statement: the assessment's `INSERT … ON CONFLICT DO NOTHING RETURNING id` as a CTE feeding
the result's `INSERT … SELECT`, so a retry inserts neither and says so by its row count. On
SQLite (no data-modifying CTEs) it is the assessment's insert, whose row count says whether
it was new, then the result's. Both statements are built once and compiled once (SQLAlchemy's
cache), with the values as parameters; no ORM unit of work is involved.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Insert, Result, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments import models

ASSESSMENTS = cast(Table, models.Assessment.__table__)
RESULTS = cast(Table, models.Result.__table__)
#: The one-shot submission's uniqueness: one assessment per (respondent, client id).
UNIQUE = ["respondent_id", "client_id"]

_statements: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Insert] = {}


async def insert_submission(
    session: AsyncSession, assessment: dict[str, Any], result: dict[str, Any]
) -> bool:
    """Insert both rows unless the (respondent, client id) exists; True if they were inserted.

    `result` has no `assessment_id`: it is the new assessment's id.
    """
    bind = session.bind
    dialect = bind.dialect.name if bind is not None else "sqlite"
    if dialect == "postgresql":
        statement = _combined(tuple(assessment), tuple(result))
        params = {f"a_{k}": v for k, v in assessment.items()} | {
            f"r_{k}": v for k, v in result.items()
        }
        return _rowcount(await session.execute(statement, params)) == 1
    first = _assessment_only(tuple(assessment))
    if _rowcount(await session.execute(first, assessment)) != 1:
        return False
    await session.execute(RESULTS.insert(), {**result, "assessment_id": assessment["id"]})
    return True


def _rowcount(result: Result[Any]) -> int:
    """Rows an INSERT wrote (0 when ON CONFLICT DO NOTHING skipped it)."""
    return cast(CursorResult[Any], result).rowcount


def _combined(assessment_columns: tuple[str, ...], result_columns: tuple[str, ...]) -> Insert:
    key = ("postgresql", assessment_columns, result_columns)
    if key not in _statements:
        new = (
            postgresql.insert(ASSESSMENTS)
            .values(
                {c: bindparam(f"a_{c}", type_=ASSESSMENTS.c[c].type) for c in assessment_columns}
            )
            .on_conflict_do_nothing(index_elements=UNIQUE)
            .returning(ASSESSMENTS.c.id)
            .cte("new_assessment")
        )
        chosen = [
            *(bindparam(f"r_{c}", type_=RESULTS.c[c].type) for c in result_columns),
            new.c.id,
        ]
        _statements[key] = RESULTS.insert().from_select(
            [*result_columns, "assessment_id"], select(*chosen).select_from(new)
        )
    return _statements[key]


def _assessment_only(columns: tuple[str, ...]) -> Insert:
    key = ("sqlite", columns, ())
    if key not in _statements:
        _statements[key] = sqlite.insert(ASSESSMENTS).on_conflict_do_nothing(index_elements=UNIQUE)
    return _statements[key]
