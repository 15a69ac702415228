"""Properties that hold for any valid definition and answers, on generated examples.

Definitions mix response scales within a scale (so prorating can overshoot the range), reverse
and recoded items, sum and mean, 0-2 decimals, and bands cut at random points of the grid.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.questionnaires.model import Definition, Scale, round_half_up
from app.scoring import check_answers, score
from tests.scoring.builders import definition_data, item, options, scale

RESPONSES = {"freq": (0, 1, 2, 3, 4), "three": (1, 2, 3), "yn": (0, 1)}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def definitions(draw: st.DrawFn, *, recode: bool = True) -> Definition:
    """A valid definition of one to three scales with tiling bands (or none)."""
    kinds = ["plain", "reverse", "recode"] if recode else ["plain", "reverse"]
    items: list[dict[str, Any]] = []
    scales: list[dict[str, Any]] = []
    for s in range(draw(st.integers(1, 3))):
        ids = [f"s{s}-i{n}" for n in range(draw(st.integers(1, 6)))]
        for item_id in ids:
            response = draw(st.sampled_from(sorted(RESPONSES)))
            kind = draw(st.sampled_from(kinds))
            table = None
            if kind == "recode":
                table = {v: draw(st.integers(0, 3)) for v in RESPONSES[response]}
            items.append(item(item_id, scale=response, reverse=kind == "reverse", recode=table))
        scales.append(
            scale(
                f"s{s}",
                ids,
                method=draw(st.sampled_from(["sum", "mean"])),
                precision=draw(st.integers(0, 2)),
                min_answered=draw(st.sampled_from([0.5, 0.8, 1.0])),
                prorate=draw(st.booleans()),
            )
        )
    responses = {name: options(*values) for name, values in RESPONSES.items()}
    data = definition_data(items=items, scales=scales, response_scales=responses)
    bare = Definition.model_validate(data)
    for scale_data, model in zip(scales, bare.scales, strict=True):
        if draw(st.booleans()):
            scale_data["bands"] = draw(tiling_bands(model, bare.score_range(model)))
    return Definition.model_validate(data)


@st.composite
def tiling_bands(
    draw: st.DrawFn, model: Scale, limits: tuple[float, float]
) -> list[dict[str, Any]]:
    """Bands that cover the rounded range without gap or overlap, cut at random grid points."""
    low, high = (round_half_up(v, model.precision) for v in limits)
    points = int((high - low) / model.step)
    cuts = sorted(draw(st.sets(st.integers(1, points), max_size=3))) if points else []
    starts = [low + model.step * c for c in [0, *cuts]]
    ends = [start - model.step for start in starts[1:]] + [high]
    return [
        {"id": f"b{n}", "min": float(a), "max": float(b), "label": {"en": "b", "es": "b"}}
        for n, (a, b) in enumerate(zip(starts, ends, strict=True))
    ]


@st.composite
def answers_for(draw: st.DrawFn, definition: Definition, *, complete: bool) -> dict[str, int]:
    """Valid answers, to every item or to a random subset."""
    answers = {}
    for it in definition.items:
        if complete or draw(st.booleans()):
            answers[it.id] = draw(st.sampled_from(definition.response_scales[it.scale].values))
    return answers


def containing(model: Scale, value: float) -> list[str]:
    """The bands whose closed range, on the rounding grid, holds the value."""
    score_value = Decimal(repr(value))
    return [
        b.id
        for b in model.bands
        if round_half_up(b.min, model.precision)
        <= score_value
        <= round_half_up(b.max, model.precision)
    ]


@SETTINGS
@given(st.data())
def test_scores_stay_within_the_possible_range(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    answers = data.draw(answers_for(definition, complete=False))
    assert check_answers(definition, answers) == []
    for result in score(definition, answers, definition_hash="x").scales:
        model = definition.scale(result.id)
        # the engine computes the range itself, for speed; it must agree with the model's
        assert (result.min, result.max) == definition.score_range(model)
        if result.status == "insufficient":
            assert (result.score, result.band) == (None, None)
            continue
        assert result.score is not None
        low, high = (round_half_up(v, model.precision) for v in (result.min, result.max))
        assert low <= Decimal(repr(result.score)) <= high


@SETTINGS
@given(st.data())
def test_every_score_is_in_exactly_one_band(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    answers = data.draw(answers_for(definition, complete=False))
    for result in score(definition, answers, definition_hash="x").scales:
        model = definition.scale(result.id)
        if result.status == "scored" and model.bands:
            assert result.score is not None
            assert containing(model, result.score) == [result.band]


@SETTINGS
@given(st.data())
def test_a_higher_answer_moves_the_score_the_keyed_way(data: st.DataObject) -> None:
    definition = data.draw(definitions(recode=False))
    answers = data.draw(answers_for(definition, complete=True))
    raised = data.draw(st.sampled_from(definition.items))
    values = definition.response_scales[raised.scale].values
    if answers[raised.id] == values[-1]:
        return
    higher = {**answers, raised.id: values[values.index(answers[raised.id]) + 1]}
    before = score(definition, answers, definition_hash="x")
    after = score(definition, higher, definition_hash="x")
    for model in definition.scales:
        if raised.id not in model.items:
            continue
        old, new = before.scale(model.id).score, after.scale(model.id).score
        assert old is not None
        assert new is not None
        assert new <= old if raised.reverse else new >= old
