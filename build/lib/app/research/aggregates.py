"""Aggregates per week or month, with small cells suppressed so no one can be singled out.

A cell counting 1 to k-1 people (k: settings.research_min_cell) is published as null with
`suppressed: true`. Complementary suppression: a band distribution (with `insufficient`) adds
up to the period's assessments, so a lone suppressed cell could be worked back from the
others; then the next smallest cell is suppressed too (see `suppressed_cells`). A period with
fewer than k people is suppressed whole. Counted in Python from a streamed query: ISO weeks
differ across SQL dialects.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment
from app.questionnaires.model import Definition
from app.research.schemas import AggregatePeriod, BandCell, ScaleAggregate
from app.research.service import consented, period_bounds, research_select, scale_columns

INSUFFICIENT = "insufficient"  # the "band" of a scale with too few answers to score


@dataclass
class _Cell:
    people: set[uuid.UUID] = field(default_factory=set)
    assessments: int = 0


@dataclass
class _Scale:
    total: float = 0.0
    scored: _Cell = field(default_factory=_Cell)
    bands: dict[str, _Cell] = field(default_factory=lambda: defaultdict(_Cell))


@dataclass
class _Period:
    everyone: _Cell = field(default_factory=_Cell)
    scales: dict[str, _Scale] = field(default_factory=lambda: defaultdict(_Scale))


def period_of(at: datetime, period: str) -> str:
    """The period label of a time: ISO week ``2024-W05`` or month ``2024-03``."""
    if period == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{at.year}-{at.month:02d}"


def aggregate_statement(
    organization_id: uuid.UUID, definition: Definition, start: date | None, end: date | None
) -> Select[Any]:
    """Person, time and per-scale score and band of every research-usable assessment."""
    statement = research_select(
        Assessment.respondent_id, Assessment.answered_at, *scale_columns(definition)
    ).where(
        *consented(organization_id, definition.id),
        Assessment.questionnaire_version == definition.version,
    )
    low, high = period_bounds(start, end)
    if low is not None:
        statement = statement.where(Assessment.answered_at >= low)
    if high is not None:
        statement = statement.where(Assessment.answered_at < high)
    return statement


async def aggregate(
    session: AsyncSession,
    organization_id: uuid.UUID,
    definition: Definition,
    *,
    period: str,
    start: date | None,
    end: date | None,
    min_cell: int,
) -> list[AggregatePeriod]:
    """Counts, means and band distributions per period, oldest first, suppressed."""
    statement = aggregate_statement(organization_id, definition, start, end)
    periods: dict[str, _Period] = defaultdict(_Period)
    result = await session.stream(statement.execution_options(yield_per=1000))
    async for row in result:
        _tally(periods[period_of(row[1], period)], definition, row)
    return [_publish(label, periods[label], definition, min_cell) for label in sorted(periods)]


def _tally(tally: _Period, definition: Definition, row: Any) -> None:
    person = row[0]
    _add(tally.everyone, person)
    for n, scale in enumerate(definition.scales):
        score, band = row[2 + 2 * n], row[3 + 2 * n]
        counts = tally.scales[scale.id]
        if score is not None:
            counts.total += score
            _add(counts.scored, person)
        _add(counts.bands[band if band is not None else INSUFFICIENT], person)


def _add(cell: _Cell, person: uuid.UUID) -> None:
    cell.people.add(person)
    cell.assessments += 1


def _publish(label: str, tally: _Period, definition: Definition, k: int) -> AggregatePeriod:
    if len(tally.everyone.people) < k:
        return AggregatePeriod(period=label, suppressed=True, people=None, assessments=None)
    scales = [_publish_scale(s.id, tally.scales[s.id], definition, k) for s in definition.scales]
    return AggregatePeriod(
        period=label,
        suppressed=False,
        people=len(tally.everyone.people),
        assessments=tally.everyone.assessments,
        scales=scales,
    )


def _publish_scale(scale_id: str, tally: _Scale, definition: Definition, k: int) -> ScaleAggregate:
    scored = tally.scored
    mean_hidden = len(scored.people) < k
    names = [band.id for band in definition.scale(scale_id).bands] + [INSUFFICIENT]
    cells = [(name, tally.bands.get(name, _Cell())) for name in names]
    hidden = suppressed_cells([(len(c.people), c.assessments) for _, c in cells], k)
    return ScaleAggregate(
        id=scale_id,
        mean=None if mean_hidden else round(tally.total / scored.assessments, 2),
        mean_suppressed=mean_hidden,
        bands=[
            BandCell(
                band=name,
                assessments=None if n in hidden else cell.assessments,
                suppressed=n in hidden,
            )
            for n, (name, cell) in enumerate(cells)
        ],
    )


def suppressed_cells(cells: list[tuple[int, int]], k: int) -> set[int]:
    """Indexes of the (people, assessments) cells to hide: the small ones, and complements.

    Hidden cells add up to the total minus the visible ones, so that sum is public: while
    one cell alone is hidden, or the hidden ones together count fewer than k assessments,
    the smallest visible cell is hidden too.
    """
    # An empty cell singles no one out; hiding zeros would only force large cells to hide.
    hidden = {n for n, (people, _) in enumerate(cells) if 0 < people < k}
    while hidden and len(hidden) < len(cells):
        if len(hidden) > 1 and sum(cells[n][1] for n in hidden) >= k:
            break
        visible = [n for n in range(len(cells)) if n not in hidden]
        hidden.add(min(visible, key=lambda n: (cells[n][1], n)))
    return hidden
