"""Jinja filters of the pages: dates and durations in plain words, numbers without noise."""

from __future__ import annotations

from datetime import datetime

from app.db import utcnow


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '2 days ago' (the exact date is shown beside it)."""
    if moment is None:
        return "never"
    seconds = int(((now or utcnow()) - moment).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def day(moment: datetime | None) -> str:
    """A date and time as '1 Dec 2026, 14:05 UTC'."""
    if moment is None:
        return ""
    return moment.strftime("%-d %b %Y, %H:%M UTC")


def number(value: float | None) -> str:
    """A score without a trailing '.0'; a dash when there is none."""
    if value is None:
        return "\u2013"
    return f"{value:g}"


def signed(value: float) -> str:
    """A change with its sign: '+3', '-2.5' (with a real minus sign), '0'."""
    if value > 0:
        return f"+{value:g}"
    if value < 0:
        return f"\u2212{-value:g}"
    return "0"
