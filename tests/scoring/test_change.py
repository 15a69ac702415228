"""Reliable change (Jacobson & Truax, 1991) with hand-computed numbers, and the raw fallback."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.questionnaires.model import Reliability
from app.scoring import compare
from app.scoring.change import NO_RELIABILITY_NOTE, RELIABLE_CHANGE, changes

FIGURES = Reliability(sd=5, r=0.8, source="test")


@pytest.mark.parametrize(
    ("x1", "x2", "rci", "reliable", "direction"),
    [
        # 10 / (1.41421 * 5 * 0.44721) = 10 / 3.16228 = 3.1623
        (10, 20, 3.1623, True, "up"),
        (20, 10, -3.1623, True, "down"),
        # 2 / 3.16228 = 0.6325
        (10, 12, 0.6325, False, "up"),
        # 6.2 / 3.16228 = 1.9606: just over the line
        (10, 16.2, 1.9606, True, "up"),
        # 6.1 / 3.16228 = 1.9290: just under
        (10, 16.1, 1.9290, False, "up"),
        (10, 10, 0.0, False, "none"),
    ],
)
def test_reliable_change_index(
    x1: float, x2: float, rci: float, reliable: bool, direction: str
) -> None:
    change = compare(x1, x2, FIGURES)
    assert change.rci == pytest.approx(rci, abs=1e-4)
    assert (change.reliable, change.direction, change.basis) == (reliable, direction, "rci")
    assert (change.from_score, change.to_score) == (x1, x2)
    assert change.note is None


def test_another_reliability() -> None:
    # SD 2, r 0.9: 1.41421 * 2 * 0.31623 = 0.89443; 1.5 / 0.89443 = 1.6771
    change = compare(3.0, 4.5, Reliability(sd=2, r=0.9, source="test"))
    assert change.rci == pytest.approx(1.6771, abs=1e-4)
    assert change.reliable is False


def test_without_figures_only_the_raw_change_is_shown() -> None:
    change = compare(4, 7, None)
    assert change.model_dump() == {
        "from_score": 4,
        "to_score": 7,
        "difference": 3,
        "rci": None,
        "reliable": None,
        "direction": "up",
        "basis": "raw",
        "note": NO_RELIABILITY_NOTE,
    }
    assert "no published reliability figures" in NO_RELIABILITY_NOTE


def test_the_definitions_own_note_is_kept() -> None:
    assert compare(4, 2, None, "Original items.").note == "Original items."
    assert compare(4, 2, FIGURES, "Hughes 2004.").note == "Hughes 2004."


def test_difference_has_no_float_noise() -> None:
    assert compare(10.1, 20.3, None).difference == 10.2


def test_changes_between_consecutive_scores() -> None:
    result = changes([10, 20, 20, 12], FIGURES)
    assert [(c.from_score, c.to_score, c.direction) for c in result] == [
        (10, 20, "up"),
        (20, 20, "none"),
        (20, 12, "down"),
    ]
    assert [c.reliable for c in result] == [True, False, True]
    assert changes([10], FIGURES) == []
    assert changes([], None) == []


# SD 5 and r 0.68 make the standard error of a difference exactly 4 in floats:
# sqrt(2) * 5 * sqrt(0.32) = 4.0, so an RCI of exactly 1.96 can be reached.
EXACT = Reliability(sd=5, r=0.68, source="test")


@pytest.mark.parametrize(
    ("x1", "x2", "rci", "reliable"),
    [
        (0, 7.84, 1.96, True),  # exactly on the threshold: reliable (>=, not >)
        (7.84, 0, -1.96, True),  # the same size of change downwards
        (10, 17.84, 1.96, True),
        (0, 7.83, 1.9575, False),  # above 1.95, below 1.96: not reliable
        (7.83, 0, -1.9575, False),
        (0, 7.8, 1.95, False),
    ],
)
def test_the_reliable_change_threshold_is_1_96_inclusive(
    x1: float, x2: float, rci: float, reliable: bool
) -> None:
    assert RELIABLE_CHANGE == 1.96
    change = compare(x1, x2, EXACT)
    assert change.rci == pytest.approx(rci, abs=1e-12)
    assert change.reliable is reliable


@given(
    x1=st.decimals(0, 40, places=2),
    d=st.decimals(-1, 1, places=2),
    figures=st.sampled_from([None, FIGURES]),
)
def test_the_direction_of_small_changes(
    x1: Decimal, d: Decimal, figures: Reliability | None
) -> None:
    change = compare(float(x1), float(x1 + d), figures)
    assert change.difference == float(d)
    assert change.direction == ("up" if d > 0 else "down" if d < 0 else "none")


@pytest.mark.parametrize(("x2", "direction"), [(1.0, "up"), (-1.0, "down"), (0.01, "up")])
def test_a_change_of_at_most_one_point_has_a_direction(x2: float, direction: str) -> None:
    assert compare(0.0, x2, None).direction == direction


def test_differences_below_float_noise_are_no_change() -> None:
    # Scores have at most four decimals; anything under 1e-10 is arithmetic noise.
    change = compare(1.0, 1.0 + 4e-11, None)
    assert (change.difference, change.direction) == (0.0, "none")


def test_changes_keep_the_definitions_note() -> None:
    notes = [c.note for c in changes([3, 5, 4], None, "Original items.")]
    assert notes == ["Original items.", "Original items."]
    assert [c.note for c in changes([3, 5], FIGURES, "Hughes 2004.")] == ["Hughes 2004."]
