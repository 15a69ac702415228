"""Conditions: every kind, nested, and what they say about a scale that was not scored."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from app.questionnaires.model import Condition
from app.scoring.conditions import compile_condition, describe, evaluate, format_number
from app.scoring.result import ScaleScore

CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


def scored(scale_id: str, value: float, band: str | None) -> ScaleScore:
    return ScaleScore(
        id=scale_id,
        concept="hyperarousal",
        method="sum",
        status="scored",
        answered=4,
        total=4,
        missing=[],
        raw=value,
        mean=value / 4,
        score=value,
        min=0,
        max=16,
        band=band,
    )


def insufficient(scale_id: str) -> ScaleScore:
    return ScaleScore(
        id=scale_id,
        concept="hypoarousal",
        method="sum",
        status="insufficient",
        answered=1,
        total=4,
        missing=["b", "c", "d"],
        raw=3,
        mean=3,
        score=None,
        min=0,
        max=16,
        band=None,
    )


# hyper is scored 12 (high), hypo is scored 3 (low), gone could not be scored
SCALES = {
    "hyper": scored("hyper", 12, "high"),
    "hypo": scored("hypo", 3, "low"),
    "gone": insufficient("gone"),
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"scale": "hyper", "band": ["high"]}, True),
        ({"scale": "hyper", "band": ["low", "high"]}, True),
        ({"scale": "hyper", "band": ["low"]}, False),
        ({"scale": "gone", "band": ["low", "mid", "high"]}, False),
        ({"scale": "hyper", "op": ">=", "value": 12}, True),
        ({"scale": "hyper", "op": ">", "value": 12}, False),
        ({"scale": "hyper", "op": "<=", "value": 12}, True),
        ({"scale": "hyper", "op": "<", "value": 12}, False),
        ({"scale": "hyper", "op": "==", "value": 12}, True),
        ({"scale": "hyper", "op": "!=", "value": 12}, False),
        ({"scale": "gone", "op": "!=", "value": 12}, False),
        ({"scale": "gone", "op": ">=", "value": 0}, False),
        ({"insufficient": "gone"}, True),
        ({"insufficient": "hyper"}, False),
        ({"always": True}, True),
        ({"all": [{"scale": "hyper", "band": ["high"]}, {"scale": "hypo", "band": ["low"]}]}, True),
        (
            {"all": [{"scale": "hyper", "band": ["high"]}, {"scale": "hypo", "band": ["high"]}]},
            False,
        ),
        ({"any": [{"scale": "hyper", "band": ["low"]}, {"scale": "hypo", "band": ["low"]}]}, True),
        ({"any": [{"scale": "hyper", "band": ["low"]}, {"insufficient": "hypo"}]}, False),
        ({"not": {"scale": "hyper", "band": ["high"]}}, False),
        ({"not": {"insufficient": "gone"}}, False),
        # `not` of a band test on an unscored scale is true: write `insufficient` to exclude it
        ({"not": {"scale": "gone", "band": ["high"]}}, True),
        ({"not": {"not": {"scale": "hyper", "band": ["high"]}}}, True),
        (
            {
                "all": [
                    {"any": [{"insufficient": "gone"}, {"scale": "hyper", "op": "<", "value": 1}]},
                    {"not": {"scale": "hypo", "op": ">=", "value": 10}},
                ]
            },
            True,
        ),
        (
            {
                "any": [
                    {"all": [{"insufficient": "hypo"}, {"always": True}]},
                    {"not": {"any": [{"scale": "hyper", "band": ["high"]}]}},
                ]
            },
            False,
        ),
    ],
)
def test_evaluate(condition: dict[str, Any], expected: bool) -> None:
    assert evaluate(CONDITION.validate_python(condition), SCALES) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"scale": "hyper", "band": ["high"]}, "hyper band is high"),
        ({"scale": "hyper", "band": ["mid", "high"]}, "hyper band is mid or high"),
        ({"scale": "hypo", "op": ">=", "value": 10}, "hypo score >= 10"),
        ({"scale": "hypo", "op": "<", "value": 2.5}, "hypo score < 2.5"),
        ({"insufficient": "gone"}, "gone has too few answers to be scored"),
        ({"always": True}, "always"),
        (
            {
                "all": [
                    {"scale": "hyper", "band": ["high"]},
                    {"not": {"scale": "hypo", "op": ">=", "value": 10}},
                ]
            },
            "hyper band is high and not (hypo score >= 10)",
        ),
        (
            {
                "any": [
                    {"all": [{"scale": "a", "band": ["x"]}, {"scale": "b", "band": ["y"]}]},
                    {"all": [{"scale": "c", "band": ["z"]}]},
                ]
            },
            "(a band is x and b band is y) or c band is z",
        ),
        (
            {"not": {"any": [{"insufficient": "a"}, {"always": True}]}},
            "not (a has too few answers to be scored or always)",
        ),
        # a one-part and/or needs no brackets; a two-part one inside another does
        (
            {"all": [{"any": [{"scale": "a", "band": ["x"]}]}, {"always": True}]},
            "a band is x and always",
        ),
        (
            {
                "all": [
                    {"any": [{"scale": "a", "band": ["x"]}, {"insufficient": "b"}]},
                    {"always": True},
                ]
            },
            "(a band is x or b has too few answers to be scored) and always",
        ),
        (
            {"any": [{"all": [{"scale": "a", "band": ["x"]}]}, {"always": True}]},
            "a band is x or always",
        ),
    ],
)
def test_describe(condition: dict[str, Any], expected: str) -> None:
    assert describe(CONDITION.validate_python(condition)) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.0, "12"),
        (2.5, "2.5"),
        (10 / 3, "3.3333"),
        (-1.0, "-1"),
        (0.1, "0.1"),
        # four decimals of zeros leave no trailing point behind
        (12.00001, "12"),
        (0.99999, "1"),
        (2.50001, "2.5"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def test_what_is_not_a_condition_never_holds() -> None:
    # Definitions only hold the condition kinds above (the model refuses others); anything else
    # handed to the evaluator holds for no scores, as it did before conditions were compiled.
    not_a_condition: Any = {"scale": "hyper", "band": ["high"]}
    assert evaluate(not_a_condition, SCALES) is False


def test_a_compiled_condition_can_be_used_again() -> None:
    test = compile_condition(CONDITION.validate_python({"scale": "hyper", "op": ">", "value": 11}))
    assert test(SCALES) is True
    assert test({"hyper": scored("hyper", 11, "high")}) is False
    assert test({"hyper": insufficient("hyper")}) is False
    assert test(SCALES) is True
