"""The pages' filters: durations in words, scores and changes without float noise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.web.formatting import ago, day, number, signed

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_ago_says_the_largest_whole_unit() -> None:
    assert ago(None) == "never"
    assert ago(NOW - timedelta(seconds=30), NOW) == "just now"
    assert ago(NOW - timedelta(minutes=1), NOW) == "1 minute ago"
    assert ago(NOW - timedelta(hours=5, minutes=59), NOW) == "5 hours ago"
    assert ago(NOW - timedelta(days=2, hours=3), NOW) == "2 days ago"


def test_numbers_and_changes() -> None:
    assert number(None) == "\u2013"
    assert number(16.0) == "16"
    assert number(2.5) == "2.5"
    assert signed(3.0) == "+3"
    assert signed(-2.5) == "\u22122.5"
    assert signed(0.0) == "0"
    assert day(NOW) == "1 Dec 2026, 12:00 UTC"
