"""Profiles (first match wins) and flags (every one that holds), as scored and traced."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from app.questionnaires.model import Definition
from app.scoring import score
from tests.scoring.builders import band, four_items, item, make_definition, rule, scale

HYPER_HIGH = {"scale": "hyper", "band": ["high"]}
HYPO_HIGH = {"scale": "hypo", "band": ["high"]}
BANDS = [band("low", 0, 3), band("high", 4, 8)]


def two_scales(
    *, profiles: Sequence[dict[str, Any]] = (), flags: Sequence[dict[str, Any]] = ()
) -> Definition:
    """hyper over a, b and hypo over c, d; each 0-8, low 0-3, high 4-8."""
    return make_definition(
        items=four_items(),
        scales=[scale("hyper", ["a", "b"], bands=BANDS), scale("hypo", ["c", "d"], bands=BANDS)],
        profiles=list(profiles),
        flags=list(flags),
    )


PROFILES = [
    rule("swinging", {"all": [HYPER_HIGH, HYPO_HIGH]}),
    rule("above", HYPER_HIGH),
    rule("below", HYPO_HIGH),
    rule("unknown", {"any": [{"insufficient": "hyper"}, {"insufficient": "hypo"}]}),
    rule("within", {"always": True}),
]


@pytest.mark.parametrize(
    ("answers", "profile"),
    [
        ({"a": 4, "b": 4, "c": 4, "d": 4}, "swinging"),  # above and below also hold; first wins
        ({"a": 4, "b": 4, "c": 0, "d": 0}, "above"),
        ({"a": 0, "b": 0, "c": 4, "d": 4}, "below"),
        ({"a": 0, "b": 0, "c": 0}, "unknown"),
        ({"a": 0, "b": 0, "c": 0, "d": 0}, "within"),
        ({"a": 2, "b": 1, "c": 3, "d": 0}, "within"),  # 3 and 3: the top of low
    ],
)
def test_first_matching_profile_wins(answers: dict[str, int], profile: str) -> None:
    assert score(two_scales(profiles=PROFILES), answers).profile == profile


def test_profile_trace_names_the_rules_that_did_not_match() -> None:
    result = score(two_scales(profiles=PROFILES), {"a": 0, "b": 0, "c": 4, "d": 4})
    step = result.trace[-1]
    assert (step.rule, step.target) == ("profile", "below")
    assert step.detail == (
        "profile below matched: hypo band is high; earlier rules did not match: swinging, above"
    )
    assert step.data == {"profile": "below", "not_matched": ["swinging", "above"]}


def test_no_profile_when_no_rule_matches() -> None:
    result = score(two_scales(profiles=PROFILES[:3]), dict.fromkeys("abcd", 0))
    assert result.profile is None
    assert result.trace[-1].detail == "no profile rule matched (checked: swinging, above, below)"


def test_no_profiles_no_profile_step() -> None:
    result = score(two_scales(), dict.fromkeys("abcd", 0))
    assert result.profile is None
    assert "profile" not in [t.rule for t in result.trace]


FLAGS = [
    rule("hypo-high", HYPO_HIGH),
    rule("hyper-high", HYPER_HIGH),
    rule("hyper-very-high", {"scale": "hyper", "op": ">=", "value": 7}),
    rule("hypo-missing", {"insufficient": "hypo"}),
]


@pytest.mark.parametrize(
    ("answers", "flags"),
    [
        ({"a": 0, "b": 0, "c": 0, "d": 0}, []),
        ({"a": 4, "b": 3, "c": 4, "d": 4}, ["hypo-high", "hyper-high", "hyper-very-high"]),
        ({"a": 4, "b": 2, "c": 0, "d": 0}, ["hyper-high"]),
        ({"a": 4, "b": 2, "c": 1}, ["hyper-high", "hypo-missing"]),
    ],
)
def test_every_flag_that_holds_in_definition_order(
    answers: dict[str, int], flags: list[str]
) -> None:
    result = score(two_scales(flags=FLAGS), answers)
    assert result.flags == flags
    flag_steps = [t for t in result.trace if t.rule == "flag"]
    assert [t.target for t in flag_steps] == flags


def test_flag_trace_says_why() -> None:
    result = score(two_scales(flags=FLAGS), {"a": 4, "b": 4, "c": 0, "d": 0})
    assert [t.detail for t in result.trace if t.rule == "flag"] == [
        "flag hyper-high raised: hyper band is high",
        "flag hyper-very-high raised: hyper score >= 7",
    ]


def test_profile_and_flag_steps_come_after_the_scales() -> None:
    definition = make_definition(
        items=[item("a", reverse=True), item("b")],
        scales=[scale("hyper", ["a", "b"], bands=BANDS)],
        profiles=[rule("above", HYPER_HIGH), rule("within", {"always": True})],
        flags=[rule("hyper-high", HYPER_HIGH)],
    )
    result = score(definition, {"a": 0, "b": 4})
    assert [t.rule for t in result.trace] == ["item", "scale", "band", "profile", "flag"]
