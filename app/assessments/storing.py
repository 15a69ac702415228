"""A one-shot submission's two rows, stored in as few round trips as the database allows.

A submission is an assessment row and its result row, inserted together unless the
respondent already stored one under the same client id (a retry). On PostgreSQL that is one
statement: the assessment's `INSERT … ON CONFLICT DO NOTHING RETURNING id` as a CTE feeding
the result's `INSERT … SELECT`, so a retry inserts neither and says so by its row count. On
SQLite (no data-modifying CTEs) it is the assessment's insert, whose row count says whether
it was new, then the result's. Both statements are built once and compiled once (SQLAlchemy's
cache), with the values as parameters; no ORM unit of work is involved.

`insert_submission_by_token` also authenticates: the assessment's `INSERT … SELECT` takes the
respondent's id and research consent from the live (unrevoked) token row joined to its
respondent, so an unknown or revoked token inserts nothing, in the same statement and the
same transaction as the write (revocation stays immediate), with no query of its own.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CTE, CursorResult, Insert, Result, Select, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.assessments import models
from app.respondents.models import Respondent, RespondentToken

ASSESSMENTS = cast(Table, models.Assessment.__table__)
RESULTS = cast(Table, models.Result.__table__)
#: The one-shot submission's uniqueness: one assessment per (respondent, client id).
UNIQUE = ["respondent_id", "client_id"]

#: The columns of an assessment that come from its token's respondent, in this order.
FROM_TOKEN = ("respondent_id", "research_consent")

_statements: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Insert] = {}


def _dialect(executor: AsyncSession | AsyncConnection) -> str:
    """The database's dialect name, for a session or a bare connection."""
    if isinstance(executor, AsyncConnection):
        return executor.dialect.name
    return executor.bind.dialect.name if executor.bind is not None else "sqlite"


async def insert_submission(
    session: AsyncSession, assessment: dict[str, Any], result: dict[str, Any]
) -> bool:
    """Insert both rows unless the (respondent, client id) exists; True if they were inserted.

    `result` has no `assessment_id`: it is the new assessment's id.
    """
    if _dialect(session) == "postgresql":
        statement = _combined(tuple(assessment), tuple(result))
        return _rowcount(await session.execute(statement, _prefixed(assessment, result))) == 1
    first = _assessment_only(tuple(assessment))
    if _rowcount(await session.execute(first, assessment)) != 1:
        return False
    await _insert_result(session, result, assessment["id"])
    return True


def _prefixed(assessment: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The combined statement's parameters: `a_` for the assessment's, `r_` for the result's."""
    return {f"a_{k}": v for k, v in assessment.items()} | {f"r_{k}": v for k, v in result.items()}


async def _insert_result(
    executor: AsyncSession | AsyncConnection, result: dict[str, Any], assessment_id: Any
) -> None:
    """SQLite's second statement: the result row of the assessment just inserted."""
    await executor.execute(RESULTS.insert(), {**result, "assessment_id": assessment_id})


def _result_of_new(new: CTE, result_columns: tuple[str, ...]) -> Insert:
    """The result's `INSERT … SELECT` from the assessment CTE's returned id (no row, no result)."""
    chosen = [*(bindparam(f"r_{c}", type_=RESULTS.c[c].type) for c in result_columns), new.c.id]
    return RESULTS.insert().from_select(
        [*result_columns, "assessment_id"], select(*chosen).select_from(new)
    )


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
        _statements[key] = _result_of_new(new, result_columns)
    return _statements[key]


def _assessment_only(columns: tuple[str, ...]) -> Insert:
    key = ("sqlite", columns, ())
    if key not in _statements:
        _statements[key] = sqlite.insert(ASSESSMENTS).on_conflict_do_nothing(index_elements=UNIQUE)
    return _statements[key]


async def insert_submission_by_token(
    connection: AsyncConnection, token_hash: str, assessment: dict[str, Any], result: dict[str, Any]
) -> bool:
    """`insert_submission` for the respondent of a live token: False if nothing was inserted.

    `assessment` has neither `respondent_id` nor `research_consent` (the token's respondent
    gives both) and `result` no `assessment_id`. False means the token is unknown or revoked
    or the (respondent, client id) exists: the caller tells those apart the usual way. On a
    bare connection (no ORM session: the one-shot route's transaction is just these rows)
    that has not begun a transaction. On PostgreSQL the one statement is the transaction:
    it runs in autocommit mode, so it is durable when it returns, with no BEGIN or COMMIT
    round trip; on SQLite both statements run in one transaction, which the caller commits.
    """
    if _dialect(connection) == "postgresql":
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        statement = _combined_by_token(tuple(assessment), tuple(result))
        params = _prefixed(assessment, result)
        params["token_hash"] = token_hash
        return _rowcount(await connection.execute(statement, params)) == 1
    first = _assessment_by_token(tuple(assessment))
    params = {f"a_{k}": v for k, v in assessment.items()}
    params["token_hash"] = token_hash
    if _rowcount(await connection.execute(first, params)) != 1:
        return False
    await _insert_result(connection, result, assessment["id"])
    return True


def _from_token(columns: tuple[str, ...]) -> Select[Any]:
    """The assessment's values, its respondent's columns taken from the live token's row."""
    return (
        select(
            *(bindparam(f"a_{c}", type_=ASSESSMENTS.c[c].type) for c in columns),
            Respondent.id,
            Respondent.research_consent,
        )
        .join(RespondentToken, RespondentToken.respondent_id == Respondent.id)
        .where(RespondentToken.token_hash == bindparam("token_hash"))
        .where(RespondentToken.revoked_at.is_(None))
    )


def _assessment_by_token(columns: tuple[str, ...]) -> Insert:
    key = ("sqlite-token", columns, ())
    if key not in _statements:
        # SQLite parses `INSERT … SELECT … ON CONFLICT` only with a WHERE in the SELECT: it has.
        _statements[key] = (
            sqlite.insert(ASSESSMENTS)
            .from_select([*columns, *FROM_TOKEN], _from_token(columns))
            .on_conflict_do_nothing(index_elements=UNIQUE)
        )
    return _statements[key]


def _combined_by_token(
    assessment_columns: tuple[str, ...], result_columns: tuple[str, ...]
) -> Insert:
    key = ("postgresql-token", assessment_columns, result_columns)
    if key not in _statements:
        new = (
            postgresql.insert(ASSESSMENTS)
            .from_select([*assessment_columns, *FROM_TOKEN], _from_token(assessment_columns))
            .on_conflict_do_nothing(index_elements=UNIQUE)
            .returning(ASSESSMENTS.c.id)
            .cte("new_assessment")
        )
        _statements[key] = _result_of_new(new, result_columns)
    return _statements[key]
