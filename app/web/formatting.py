"""Jinja filters of the pages: dates and durations in plain words, numbers without noise.

Each takes the page's locale (Babel's data for the words, month names and decimal marks);
English is the default, so a caller that knows no locale gets what it always got.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal

from app.db import utcnow


def ago(
    moment: datetime | None,
    now: datetime | None = None,
    locale: str = "en",
    never: str = "never",
    just_now: str = "just now",
) -> str:
    """'just now', '5 minutes ago', '2 days ago' (the exact date is shown beside it).

    The time is cut down to its largest whole unit first (5 h 59 min is "5 hours ago", not
    Babel's rounded "6 hours"); Babel then says it in the locale's words.
    """
    if moment is None:
        return never
    seconds = int(((now or utcnow()) - moment).total_seconds())
    for size in (86400, 3600, 60):
        if seconds >= size:
            whole = timedelta(seconds=seconds // size * size)
            return format_timedelta(-whole, threshold=1, add_direction=True, locale=locale)
    return just_now


def day(moment: datetime | None, locale: str = "en", time_zone: str = "UTC") -> str:
    """A date and time as '1 Dec 2026, 14:05 UTC' ('1 dic 2026, 14:05 UTC' in Spanish).

    Given a time zone (an organization's, where schedules are set in its wall time), the
    moment is shown there and the zone is named after it: '1 Dec 2026, 15:05 Europe/Madrid'
    (the IANA name, the same in every language, where Babel's short names are not).
    """
    if moment is None:
        return ""
    zone = UTC if time_zone == "UTC" else ZoneInfo(time_zone)
    shown = format_datetime(moment, "d MMM y, HH:mm", tzinfo=zone, locale=locale)
    return f"{shown} {time_zone}"


def short_day(moment: datetime, locale: str = "en") -> str:
    """A date alone, as a chart's axis shows it: '1 Dec 2026'."""
    return format_datetime(moment, "d MMM y", tzinfo=UTC, locale=locale)


def number(value: float | None, locale: str = "en") -> str:
    """A score without a trailing '.0' (and with the locale's decimal mark); a dash if none."""
    if value is None:
        return "\u2013"
    return format_decimal(value, format="0.###", locale=locale)


def signed(value: float, locale: str = "en") -> str:
    """A change with its sign: '+3', '-2.5' (with a real minus sign), '0'."""
    if value > 0:
        return "+" + number(value, locale)
    if value < 0:
        return "\u2212" + number(-value, locale)
    return "0"
