"""Evaluate and describe the declarative conditions of profiles and flags.

A condition is data (see `app.questionnaires.model`), never a string that is executed: this
module walks the tree and compares numbers. Pure: no I/O, no state.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from types import MappingProxyType

from app.questionnaires.model import (
    AllOf,
    Always,
    AnyOf,
    BandIn,
    Compare,
    Condition,
    Insufficient,
    Not,
)
from app.scoring.result import ScaleScore

_OPERATORS: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {
        "<": operator.lt,
        "<=": operator.le,
        "==": operator.eq,
        "!=": operator.ne,
        ">=": operator.ge,
        ">": operator.gt,
    }
)


def evaluate(condition: Condition, scales: Mapping[str, ScaleScore]) -> bool:
    """Whether a condition holds for these scale scores."""
    if isinstance(condition, AllOf):
        return all(evaluate(c, scales) for c in condition.all)
    if isinstance(condition, AnyOf):
        return any(evaluate(c, scales) for c in condition.any)
    if isinstance(condition, Not):
        return not evaluate(condition.not_, scales)
    if isinstance(condition, BandIn):
        # An insufficient scale has no band, so no band test can be true of it.
        scale = scales[condition.scale]
        return scale.status == "scored" and scale.band in condition.band
    if isinstance(condition, Compare):
        # Never compare a guess: an unscored scale fails every comparison, even `!=`.
        scale = scales[condition.scale]
        if scale.status != "scored" or scale.score is None:
            return False
        return _OPERATORS[condition.op](scale.score, condition.value)
    if isinstance(condition, Insufficient):
        return scales[condition.insufficient].status == "insufficient"
    return isinstance(condition, Always)


def describe(condition: Condition) -> str:
    """The condition in plain English, for the trace."""
    if isinstance(condition, AllOf):
        return " and ".join(_operand(c) for c in condition.all)
    if isinstance(condition, AnyOf):
        return " or ".join(_operand(c) for c in condition.any)
    if isinstance(condition, Not):
        return f"not ({describe(condition.not_)})"
    if isinstance(condition, BandIn):
        return f"{condition.scale} band is {' or '.join(condition.band)}"
    if isinstance(condition, Compare):
        return f"{condition.scale} score {condition.op} {format_number(condition.value)}"
    if isinstance(condition, Insufficient):
        return f"{condition.insufficient} has too few answers to be scored"
    return "always"


def format_number(value: float) -> str:
    """A number as a person would write it: 12 rather than 12.0, at most four decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _operand(condition: Condition) -> str:
    """Describe a part of an and/or, in brackets when it is itself a several-part and/or."""
    text = describe(condition)
    if isinstance(condition, AllOf) and len(condition.all) > 1:
        return f"({text})"
    if isinstance(condition, AnyOf) and len(condition.any) > 1:
        return f"({text})"
    return text
