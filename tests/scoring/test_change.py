"""Reliable change (Jacobson & Truax, 1991) with hand-computed numbers, and the raw fallback."""

from __future__ import annotations

import pytest

from app.questionnaires.model import Reliability
from app.scoring import compare
from app.scoring.change import NO_RELIABILITY_NOTE, changes

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
