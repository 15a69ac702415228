"""The compiled engine gives byte for byte what the engine before it gave, for every input.

`tests/scoring/reference.py` is the engine as it was before definitions were compiled into
plans (it walked the definition on every call). Here both score the same answers, drawn by
hypothesis, on every shipped definition (1.0.0 and 1.1.0) and on generated ones that mix
what the shipped ones do not (max_missing with and without prorating, not-applicable
answers, sums and means at 0-2 decimals, clamping, recodes, nested profile and flag
conditions). Results are compared as the JSON that is stored and served (so 12 and 12.0
differ), as models, and after a validation round trip (so what the engine builds without
validation is what validation would build). Invalid answers must give the same problems.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.questionnaires.model import Definition
from app.questionnaires.registry import DEFAULT_DIR, load_definition
from app.scoring import AnswerProblem, check_answers, score
from app.scoring.result import ScoreResult
from tests.scoring import reference
from tests.scoring.builders import definition_data, item, options, rule, scale, text
from tests.scoring.test_properties import tiling_bands

SHIPPED = sorted(path.name for path in DEFAULT_DIR.glob("*.yaml"))
# Kept modest: every mutant of the engine runs these under `make mutate` (docs/mutation.md).
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RESPONSES = {"freq": (0, 1, 2, 3, 4), "three": (1, 2, 3), "yn": (0, 1)}


@cache
def shipped(name: str) -> Definition:
    return load_definition(Path(DEFAULT_DIR) / name)


def assert_same(definition: Definition, answers: dict[str, Any]) -> ScoreResult | None:
    """Both engines' results are identical (or both refuse the answers identically)."""
    problems = reference.check_answers(definition, answers)
    assert check_answers(definition, answers) == problems
    if problems:
        with pytest.raises(reference.AnswerProblem) as before:
            reference.score(definition, answers, definition_hash="same")
        with pytest.raises(AnswerProblem) as now:
            score(definition, answers, definition_hash="same")
        assert now.value.problems == before.value.problems == problems
        assert str(now.value) == str(before.value)
        return None
    expected = reference.score(definition, answers, definition_hash="same")
    actual = score(definition, answers, definition_hash="same")
    assert actual.model_dump_json() == expected.model_dump_json()
    assert actual == expected
    assert ScoreResult.model_validate_json(actual.model_dump_json()) == actual
    assert actual.model_dump(mode="json") == expected.model_dump(mode="json")
    return actual


@st.composite
def answers_for(draw: st.DrawFn, definition: Definition) -> dict[str, int]:
    """Allowed answers (not-applicable ones included) to a random subset of the items."""
    answers = {}
    for it in draw(st.permutations(definition.items)):
        if draw(st.integers(0, 9)) > 1:
            answers[it.id] = draw(st.sampled_from(definition.response_scales[it.scale].values))
    return answers


@pytest.mark.parametrize("name", SHIPPED)
@SETTINGS
@given(data=st.data())
def test_shipped_definitions_score_as_before(name: str, data: st.DataObject) -> None:
    definition = shipped(name)
    answers = data.draw(answers_for(definition))
    first = assert_same(definition, answers)
    # Scored again, the steps come from the plan's cache: still the same result.
    assert score(definition, answers, definition_hash="same") == first


@pytest.mark.parametrize("name", SHIPPED)
def test_complete_extreme_answers_score_as_before(name: str) -> None:
    definition = shipped(name)
    for pick in (min, max):
        answers = {
            it.id: pick(definition.response_scales[it.scale].scored_values)
            for it in definition.items
        }
        assert_same(definition, answers)
    assert_same(definition, {})


def test_the_hash_is_the_content_hash_when_none_is_given() -> None:
    definition = shipped(SHIPPED[0])
    answers = {it.id: definition.response_scales[it.scale].values[0] for it in definition.items}
    twice = [score(definition, answers) for _ in range(2)]
    assert {r.definition_hash for r in twice} == {definition.content_hash()}
    assert twice[0] == reference.score(definition, answers)


INVALID = st.one_of(
    st.integers(-3, 12),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@pytest.mark.parametrize("name", SHIPPED)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_invalid_answers_are_refused_as_before(name: str, data: st.DataObject) -> None:
    definition = shipped(name)
    ids = [it.id for it in definition.items] + ["no-such-item"]
    answers = data.draw(st.dictionaries(st.sampled_from(ids), INVALID, min_size=1, max_size=5))
    assert check_answers(definition, answers) == reference.check_answers(definition, answers)
    assert_same(definition, answers)


# --- generated definitions ----------------------------------------------------------------------


def conditions(scale_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Any condition on these scales, nested up to three deep."""
    leaf = st.one_of(
        st.builds(
            lambda s, b: {"scale": s, "band": b},
            st.sampled_from(scale_ids),
            st.lists(st.sampled_from(["b0", "b1", "b2", "b3"]), min_size=1, max_size=2),
        ),
        st.builds(
            lambda s, op, v: {"scale": s, "op": op, "value": v},
            st.sampled_from(scale_ids),
            st.sampled_from(["<", "<=", "==", "!=", ">=", ">"]),
            st.sampled_from([0, 1, 2.5, 3, 4, 6]),
        ),
        st.builds(lambda s: {"insufficient": s}, st.sampled_from(scale_ids)),
        st.just({"always": True}),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda c: {"not": c}, inner),
        ),
        max_leaves=4,
    )


@st.composite
def definitions(draw: st.DrawFn) -> Definition:
    """A valid definition mixing every rule the engine knows."""
    responses = {name: options(*values) for name, values in RESPONSES.items()}
    responses["na"] = {
        "options": [
            *options(0, 1, 2)["options"],
            {"value": 9, "label": text("not applicable"), "not_applicable": True},
        ]
    }
    items: list[dict[str, Any]] = []
    scales: list[dict[str, Any]] = []
    for s in range(draw(st.integers(1, 3))):
        ids = [f"s{s}-i{n}" for n in range(draw(st.integers(1, 5)))]
        for item_id in ids:
            response = draw(st.sampled_from(sorted(responses)))
            kind = draw(st.sampled_from(["plain", "reverse", "recode"]))
            table = None
            if kind == "recode":
                scored = [o["value"] for o in responses[response]["options"]]
                table = {v: draw(st.integers(0, 3)) for v in scored if v != 9}
            items.append(item(item_id, scale=response, reverse=kind == "reverse", recode=table))
        extra: dict[str, Any] = {
            "method": draw(st.sampled_from(["sum", "mean"])),
            "precision": draw(st.integers(0, 2)),
            "prorate": draw(st.booleans()),
        }
        if len(ids) > 1 and draw(st.booleans()):
            extra["max_missing"] = draw(st.integers(0, len(ids) - 1))
        else:
            extra["min_answered"] = draw(st.sampled_from([0.5, 0.75, 0.8, 1.0]))
        scales.append(scale(f"s{s}", ids, **extra))
    scale_ids = [s["id"] for s in scales]
    profiles = [rule(f"p{n}", draw(conditions(scale_ids))) for n in range(draw(st.integers(0, 3)))]
    if profiles and draw(st.booleans()):
        profiles.append(rule("catch-all", {"always": True}))
    flags = [rule(f"f{n}", draw(conditions(scale_ids))) for n in range(draw(st.integers(0, 3)))]
    data = definition_data(
        items=items, scales=scales, response_scales=responses, profiles=profiles, flags=flags
    )
    bare = Definition.model_validate(data)
    for scale_data, model in zip(scales, bare.scales, strict=True):
        if draw(st.booleans()):
            scale_data["bands"] = draw(tiling_bands(model, bare.score_range(model)))
    return Definition.model_validate(data)


@settings(SETTINGS, max_examples=120)
@given(data=st.data())
def test_generated_definitions_score_as_before(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    for _ in range(3):
        assert_same(definition, data.draw(answers_for(definition)))
