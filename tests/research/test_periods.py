"""Periods and windows: whole calendar years, months and ISO weeks, in UTC (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import InvalidInput
from app.research.periods import MONTH, WEEK, YEAR, aggregate_units, period_of, units_shown, window


def utc(*parts: int) -> datetime:
    """A UTC time."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "allowed", "start", "end"),
    [
        ("2024", [YEAR], utc(2024, 1, 1), utc(2025, 1, 1)),
        ("9999", [YEAR], utc(9999, 1, 1), datetime.max.replace(tzinfo=UTC)),
        ("2024-02", [YEAR, MONTH], utc(2024, 2, 1), utc(2024, 3, 1)),
        ("2024-12", [YEAR, MONTH], utc(2024, 12, 1), utc(2025, 1, 1)),
        ("2025-W01", [YEAR, WEEK], utc(2024, 12, 30), utc(2025, 1, 6)),
        ("2020-W53", [WEEK], utc(2020, 12, 28), utc(2021, 1, 4)),
    ],
)
def test_a_period_runs_from_its_first_instant_to_the_next_periods(
    text: str, allowed: list[str], start: datetime, end: datetime
) -> None:
    chosen = window(text, text, allowed)
    assert (chosen.low, chosen.high) == (start, end)
    assert chosen.labels() == {"from": text, "to": text}


def test_an_open_window_has_no_bounds() -> None:
    assert (window(None, None, [YEAR]).low, window(None, None, [YEAR]).high) == (None, None)
    assert window(None, None, [YEAR]).labels() == {"from": None, "to": None}
    assert window("2024", None, [YEAR]).high is None
    assert window(None, "2024", [YEAR]).low is None


@pytest.mark.parametrize(
    ("at", "unit", "label"),
    [
        (utc(2024, 1, 1), YEAR, "2024"),
        (utc(2023, 12, 31, 23, 59, 59, 999999), YEAR, "2023"),
        (utc(2024, 3, 9), MONTH, "2024-03"),
        (utc(2024, 12, 31), MONTH, "2024-12"),
        (utc(2024, 12, 30), WEEK, "2025-W01"),
        (utc(2024, 3, 4), WEEK, "2024-W10"),
        (utc(2024, 1, 1, 0, 30) - timedelta(hours=1), YEAR, "2023"),
    ],
)
def test_a_time_falls_in_one_labelled_period(at: datetime, unit: str, label: str) -> None:
    assert period_of(at, unit).label == label


def test_a_time_in_another_zone_is_placed_by_its_utc_instant() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2024, 12, 31, 20, tzinfo=ZoneInfo("America/New_York"))  # 01:00 UTC
    assert period_of(local, YEAR).label == "2025"


@pytest.mark.parametrize(
    ("finer_time", "shown"),
    [
        (None, [YEAR]),
        ("month", [YEAR, MONTH]),
        ("week", [YEAR, WEEK]),
        ("days_since_first", [YEAR]),
    ],
)
def test_rows_show_the_year_and_a_designated_week_or_month(
    finer_time: str | None, shown: list[str]
) -> None:
    assert units_shown(finer_time) == shown


@pytest.mark.parametrize(
    ("period", "finer_time", "units"),
    [("year", None, [YEAR]), ("month", "month", [YEAR, MONTH]), ("week", "week", [WEEK])],
)
def test_aggregate_filters_pick_whole_periods(
    period: str, finer_time: str | None, units: list[str]
) -> None:
    assert aggregate_units(period, finer_time) == units


@pytest.mark.parametrize(("start", "end"), [("0000", None), ("2024-00", None), ("2023-W53", None)])
def test_periods_that_do_not_exist_are_refused(start: str, end: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        window(start, end, [YEAR, MONTH, WEEK])
    assert refused.value.detail == f"from={start!r} is not a period."
    assert refused.value.extensions["errors"] == [
        {
            "parameter": "from",
            "detail": "must be a year (2024) or a month (2024-03) or a week (2024-W05)",
        }
    ]


def test_a_finer_filter_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidInput) as refused:
        window(None, "2024-03-05", [YEAR])
    assert refused.value.detail == (
        "to=2024-03-05 is a day; this request takes a year (2024). Filters are whole calendar "
        "units that the data shows (the year; the month or ISO week of a study an admin "
        "designated for it), so that no sequence of requests can date an assessment more "
        "finely than an export does."
    )
    assert refused.value.extensions["errors"] == [
        {"parameter": "to", "detail": "must be a year (2024)"}
    ]
    with pytest.raises(InvalidInput) as aggregated:
        aggregate_units("week", "month")
    assert aggregated.value.detail == (
        "period=week is finer than this data shows (the year and the month): aggregates by "
        "week would date assessments more finely than an export may. Use period=year, or the "
        "study= of a study an admin designated for week."
    )
    assert aggregated.value.extensions["errors"] == [
        {"parameter": "period", "detail": "must be one of: year, month"}
    ]


def test_a_window_may_be_one_period_but_not_end_before_it_starts() -> None:
    assert window("2024-03", "2024", [YEAR, MONTH]).high == utc(2025, 1, 1)
    with pytest.raises(InvalidInput) as refused:
        window("2024-03", "2024-02", [YEAR, MONTH])
    assert refused.value.detail == "The period ends before it starts."
    assert refused.value.extensions["errors"] == [
        {"parameter": "to", "detail": "must not be before from"}
    ]


def test_a_unit_the_rows_do_not_show_is_named_in_the_refusal() -> None:
    with pytest.raises(InvalidInput) as refused:
        window("2024-03", None, [YEAR])
    assert refused.value.detail.startswith("from=2024-03 is a month; this request takes a year")
