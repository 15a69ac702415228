"""The schedule's calendar and quiet hours, as pure functions (no clock, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.schedules.calendar import due_at, is_time_zone, occurrence_count, out_of_quiet_hours


def test_occurrences_keep_their_local_wall_time_across_daylight_saving() -> None:
    # 09:00 in Madrid on 2026-10-20 is 07:00 UTC (summer time); two weeks later, 08:00 UTC.
    start = datetime(2026, 10, 20, 7, 0, tzinfo=UTC)
    assert due_at(start, 14, 0, "Europe/Madrid") == start
    assert due_at(start, 14, 1, "Europe/Madrid") == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    # In UTC nothing shifts.
    assert due_at(start, 14, 1, "UTC") == datetime(2026, 11, 3, 7, 0, tzinfo=UTC)


def test_an_end_date_counts_the_occurrences_up_to_it() -> None:
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert occurrence_count(start, 7, "UTC", datetime(2026, 1, 29, 9, tzinfo=UTC), None) == 5
    assert occurrence_count(start, 7, "UTC", datetime(2026, 1, 29, 8, tzinfo=UTC), None) == 4
    assert occurrence_count(start, 7, "UTC", None, 3) == 3
    # Counting stops just past the limit, however far the end is.
    assert occurrence_count(start, 1, "UTC", datetime(2036, 1, 1, tzinfo=UTC), None) == 101


def test_quiet_hours_move_a_moment_to_the_next_morning_in_the_zone() -> None:
    # 22:30 in Madrid (winter, UTC+1) is quiet: moved to 08:00 Madrid the next day.
    late = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)
    assert out_of_quiet_hours(late, "Europe/Madrid", 21, 8) == datetime(
        2026, 12, 2, 7, 0, tzinfo=UTC
    )
    # 03:00 in Madrid: to 08:00 the same day.
    early = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    assert out_of_quiet_hours(early, "Europe/Madrid", 21, 8) == datetime(
        2026, 12, 2, 7, 0, tzinfo=UTC
    )
    # 20:59 is allowed; equal start and end means no quiet hours at all.
    evening = datetime(2026, 12, 1, 19, 59, tzinfo=UTC)
    assert out_of_quiet_hours(evening, "Europe/Madrid", 21, 8) == evening
    assert out_of_quiet_hours(late, "Europe/Madrid", 0, 0) == late
    # A daytime window (13:00 to 14:00) works too.
    lunch = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
    assert out_of_quiet_hours(lunch, "UTC", 13, 14) == datetime(2026, 12, 1, 14, tzinfo=UTC)


def test_time_zones_are_iana_names() -> None:
    assert is_time_zone("Europe/Madrid")
    assert is_time_zone("UTC")
    assert not is_time_zone("Mars/Olympus")
    assert not is_time_zone("../../etc/passwd")
    assert not is_time_zone("")
