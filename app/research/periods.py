"""Time filters and aggregate periods, never finer than what an export's rows show.

A row shows the year it was answered, and in a study an admin designated for it also the ISO
week or the month. Were a filter finer than that (a day, an hour), a sequence of exports
filtered day by day would date every row to the day, and two aggregates whose windows differ
by one day would give that day's assessments by subtraction. So a filter is a whole calendar
unit the rows show (`2024`; `2024-03` or `2024-W05` in a study designated for months or
weeks), and an aggregate's filter only picks whole periods: each published cell is computed
from its whole period whatever the filter, so no two requests differ in a cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.errors import InvalidInput

YEAR, MONTH, WEEK = "year", "month", "week"
EXAMPLES = {YEAR: "2024", MONTH: "2024-03", WEEK: "2024-W05"}
_FORMS = [
    (YEAR, re.compile(r"(\d{4})")),
    (MONTH, re.compile(r"(\d{4})-(\d{2})")),
    (WEEK, re.compile(r"(\d{4})-W(\d{2})")),
]
_FINER = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?|\d{4}-W\d{2}-\d")  # a day or a time in it


@dataclass(frozen=True)
class Period:
    """One calendar year, month or ISO week: [start, end) in UTC, and its label."""

    label: str
    start: datetime
    end: datetime


def period_of(at: datetime, unit: str) -> Period:
    """The year, month or ISO week a time falls in (UTC)."""
    at = at.astimezone(UTC)
    if unit == YEAR:
        return _year(at.year)
    if unit == MONTH:
        return _month(at.year, at.month)
    year, week, _ = at.isocalendar()
    return _week(year, week)


def units_shown(finer_time: str | None) -> list[str]:
    """The calendar units an export's rows show: the year, and a designated week or month."""
    return [YEAR] + ([finer_time] if finer_time in (MONTH, WEEK) else [])


def units_within(unit: str) -> list[str]:
    """The units made of whole periods of `unit` (a year is whole months, not whole weeks)."""
    return {YEAR: [YEAR], MONTH: [YEAR, MONTH], WEEK: [WEEK]}[unit]


@dataclass(frozen=True)
class Window:
    """A time filter: from the start of one period to the end of another, either open."""

    first: Period | None = None
    last: Period | None = None

    @property
    def low(self) -> datetime | None:
        """The first instant included."""
        return self.first.start if self.first else None

    @property
    def high(self) -> datetime | None:
        """The first instant after the window."""
        return self.last.end if self.last else None

    def labels(self) -> dict[str, str | None]:
        """The filter as given, for the audit log."""
        return {
            "from": self.first.label if self.first else None,
            "to": self.last.label if self.last else None,
        }


def window(start: str | None, end: str | None, allowed: list[str]) -> Window:
    """The filter `from`..`to`, each a period in one of the allowed units; else a 422 saying why."""
    first = _parse("from", start, allowed) if start is not None else None
    last = _parse("to", end, allowed) if end is not None else None
    if first is not None and last is not None and last.end <= first.start:
        raise InvalidInput(
            "The period ends before it starts.",
            errors=[{"parameter": "to", "detail": "must not be before from"}],
        )
    return Window(first, last)


def _parse(parameter: str, text: str, allowed: list[str]) -> Period:
    for unit, form in _FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        period = _period(unit, *(int(g) for g in match.groups()))
        if period is None:
            break
        if unit not in allowed:
            raise _too_fine(parameter, text, unit, allowed)
        return period
    if _FINER.fullmatch(text):
        raise _too_fine(parameter, text, "day", allowed)
    raise InvalidInput(
        f"{parameter}={text!r} is not a period.",
        errors=[{"parameter": parameter, "detail": f"must be {_choices(allowed)}"}],
    )


def _too_fine(parameter: str, text: str, unit: str, allowed: list[str]) -> InvalidInput:
    return InvalidInput(
        f"{parameter}={text} is a {unit}; this request takes {_choices(allowed)}. Filters are "
        "whole calendar units that the data shows (the year; the month or ISO week of a study "
        "an admin designated for it), so that no sequence of requests can date an assessment "
        "more finely than an export does.",
        errors=[{"parameter": parameter, "detail": f"must be {_choices(allowed)}"}],
    )


def _choices(allowed: list[str]) -> str:
    return " or ".join(f"a {unit} ({EXAMPLES[unit]})" for unit in allowed)


def _period(unit: str, year: int, number: int = 1) -> Period | None:
    """The period, or None when it does not exist (month 13, week 54, year 0)."""
    try:
        if unit == YEAR:
            return _year(year)
        if unit == MONTH:
            return _month(year, number)
        return _week(year, number)
    except (ValueError, OverflowError):
        return None


def _year(year: int) -> Period:
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC) if year < 9999 else datetime.max.replace(tzinfo=UTC)
    return Period(f"{year:04d}", start, end)


def _month(year: int, month: int) -> Period:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = _year(year).end if month == 12 else datetime(year, month + 1, 1, tzinfo=UTC)
    return Period(f"{year:04d}-{month:02d}", start, end)


def _week(year: int, week: int) -> Period:
    monday = date.fromisocalendar(year, week, 1)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return Period(f"{year:04d}-W{week:02d}", start, start + timedelta(days=7))


def aggregate_units(period: str, finer_time: str | None) -> list[str]:
    """The units an aggregate's filter may use: whole periods of `period` that rows show.

    A month or week period needs a study designated for that unit (else a 422 saying why).
    """
    shown = units_shown(finer_time)
    if period not in shown:
        raise InvalidInput(
            f"period={period} is finer than this data shows (the {' and the '.join(shown)}): "
            f"aggregates by {period} would date assessments more finely than an export may. "
            f"Use period=year, or the study= of a study an admin designated for {period}.",
            errors=[{"parameter": "period", "detail": f"must be one of: {', '.join(shown)}"}],
        )
    return [unit for unit in units_within(period) if unit in shown]
