"""Change between two scores of one scale: the reliable change index, or the raw change.

Jacobson & Truax (1991): ``RCI = (x2 - x1) / (sqrt(2) * SD * sqrt(1 - r))``; a change with
``|RCI| >= 1.96`` is larger than measurement error alone would make it 95 % of the time. `SD`
and `r` come from the scale's published figures; without them only the raw change is shown.
Pure: no I/O, no state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.questionnaires.model import Reliability

#: The two-sided 95 % threshold of Jacobson & Truax (1991).
RELIABLE_CHANGE = 1.96

NO_RELIABILITY_NOTE = (
    "There are no published reliability figures for this scale, so only the raw change is "
    "shown, not whether it is larger than measurement error."
)


class Change(BaseModel):
    """The change from one score to the next, and whether it is reliable when that is known."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_score: float
    to_score: float
    difference: float
    rci: float | None
    reliable: bool | None
    direction: Literal["up", "down", "none"]
    basis: Literal["rci", "raw"]
    note: str | None


def compare(
    x1: float, x2: float, reliability: Reliability | None, note: str | None = None
) -> Change:
    """The change from `x1` to `x2`: reliable change when figures exist, else the raw change."""
    # Scores are rounded decimals; drop float noise such as 20.3 - 10.1 = 10.200000000000001.
    difference = round(x2 - x1, 10)
    direction: Literal["up", "down", "none"] = (
        "up" if difference > 0 else "down" if difference < 0 else "none"
    )
    if reliability is None:
        return Change(
            from_score=x1,
            to_score=x2,
            difference=difference,
            rci=None,
            reliable=None,
            direction=direction,
            basis="raw",
            note=NO_RELIABILITY_NOTE if note is None else note,
        )
    standard_error_of_difference = math.sqrt(2) * reliability.sd * math.sqrt(1 - reliability.r)
    rci = (x2 - x1) / standard_error_of_difference
    return Change(
        from_score=x1,
        to_score=x2,
        difference=difference,
        rci=rci,
        reliable=abs(rci) >= RELIABLE_CHANGE,
        direction=direction,
        basis="rci",
        note=note,
    )


def changes(
    scores: Sequence[float], reliability: Reliability | None, note: str | None = None
) -> list[Change]:
    """The change between each pair of consecutive scores, oldest first."""
    return [compare(x1, x2, reliability, note) for x1, x2 in pairwise(scores)]
