"""The smallest population research data may describe: k people (ATTUNE_RESEARCH_MIN_CELL).

An export of one consenting client is that person's record, however well pseudonymized; so
an export, and a set of aggregates, whose rows belong to fewer than k people is refused.
The refusal says only "fewer than k", never how many: a count of 1 to k-1 is itself a
small cell.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AppError


class TooFewPeople(AppError):
    """The data asked for belongs to fewer than k people: refused, so no one is singled out."""

    status = 422
    type = "urn:attune:problem:too-few-people"
    title = "Too few people"

    def __init__(self, what: str, k: int) -> None:
        super().__init__(
            f"This {what} would describe fewer than {k} people (ATTUNE_RESEARCH_MIN_CELL), "
            "few enough to single someone out, so it is refused. Widen the period, choose "
            "another version, or wait until more people have consented.",
            min_people=k,
        )


async def require_people(session: AsyncSession, people: Select[Any], k: int, what: str) -> None:
    """Refuse unless the distinct people of `people` number at least k (counts at most k)."""
    counted = select(func.count()).select_from(people.limit(k).subquery())
    if int((await session.execute(counted)).scalar_one()) < k:
        raise TooFewPeople(what, k)
