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


#: A compiled condition: scale scores in, whether the condition holds out.
Test = Callable[[Mapping[str, ScaleScore]], bool]


def evaluate(condition: Condition, scales: Mapping[str, ScaleScore]) -> bool:
    """Whether a condition holds for these scale scores."""
    return compile_condition(condition)(scales)


def compile_condition(condition: Condition) -> Test:
    """The condition as a function of the scale scores, walked once rather than on every call.

    The engine compiles each profile and flag once per definition (`app.scoring.plan`).
    """
    if isinstance(condition, AllOf):
        return _all_of(tuple(compile_condition(c) for c in condition.all))
    if isinstance(condition, AnyOf):
        return _any_of(tuple(compile_condition(c) for c in condition.any))
    if isinstance(condition, Not):
        return _not(compile_condition(condition.not_))
    if isinstance(condition, BandIn):
        return _band_in(condition.scale, frozenset(condition.band))
    if isinstance(condition, Compare):
        return _compare(condition.scale, _OPERATORS[condition.op], condition.value)
    if isinstance(condition, Insufficient):
        return _insufficient(condition.insufficient)
    return _always if isinstance(condition, Always) else _never


def _all_of(parts: tuple[Test, ...]) -> Test:
    def test(scales: Mapping[str, ScaleScore]) -> bool:
        for part in parts:  # noqa: SIM110 - a loop, since a generator costs more than the test
            if not part(scales):
                return False
        return True

    return test


def _any_of(parts: tuple[Test, ...]) -> Test:
    def test(scales: Mapping[str, ScaleScore]) -> bool:
        for part in parts:  # noqa: SIM110 - a loop, since a generator costs more than the test
            if part(scales):
                return True
        return False

    return test


def _not(part: Test) -> Test:
    return lambda scales: not part(scales)


def _band_in(scale_id: str, bands: frozenset[str]) -> Test:
    def test(scales: Mapping[str, ScaleScore]) -> bool:
        # An insufficient scale has no band, so no band test can be true of it.
        scale = scales[scale_id]
        return scale.status == "scored" and scale.band in bands

    return test


def _compare(scale_id: str, op: Callable[[float, float], bool], value: float) -> Test:
    def test(scales: Mapping[str, ScaleScore]) -> bool:
        # Never compare a guess: an unscored scale fails every comparison, even `!=`.
        score = scales[scale_id].score
        return score is not None and op(score, value)

    return test


def _insufficient(scale_id: str) -> Test:
    return lambda scales: scales[scale_id].status == "insufficient"


def _always(scales: Mapping[str, ScaleScore]) -> bool:
    return True


def _never(scales: Mapping[str, ScaleScore]) -> bool:
    return False


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
