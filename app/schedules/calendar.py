"""When things happen: occurrences in the organization's wall time, and quiet hours.

Pure functions of their arguments (no clock), so the rules are tested without waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

#: No schedule makes more occurrences than this (a count, or an end date's worth).
MAX_OCCURRENCES = 100


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this server knows (`Europe/Madrid`)."""
    if name not in available_timezones() and name != "UTC":
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def step_days(every: int, unit: str) -> int:
    """Days between two occurrences."""
    return every * 7 if unit == "weeks" else every


def due_at(starts_at: datetime, step: int, number: int, time_zone: str) -> datetime:
    """Occurrence `number` (0 first), at the start's local wall time (DST kept), in UTC."""
    local = starts_at.astimezone(ZoneInfo(time_zone))
    wall = local.replace(tzinfo=None) + timedelta(days=step * number)
    return wall.replace(tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def occurrence_count(
    starts_at: datetime, step: int, time_zone: str, ends_at: datetime | None, count: int | None
) -> int:
    """How many occurrences there are: `count`, or those due up to `ends_at` (inclusive)."""
    if count is not None:
        return count
    assert ends_at is not None  # one of them is required
    number = 0
    while number <= MAX_OCCURRENCES and due_at(starts_at, step, number, time_zone) <= ends_at:
        number += 1
    return number


def out_of_quiet_hours(moment: datetime, time_zone: str, start: int, end: int) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (`start`:00 to `end`:00 local)."""
    if start == end:
        return moment
    zone = ZoneInfo(time_zone)
    local = moment.astimezone(zone)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return moment
    day = local.date() + timedelta(days=1) if start > end and hour >= start else local.date()
    morning = datetime.combine(day, time(end), tzinfo=zone)
    return morning.astimezone(UTC)
