"""Every trace step the engine writes has the shape the API contract publishes for its rule.

`app/scoring/steps.py` declares one data shape per kind of step for the OpenAPI document; a
generated client parses trace steps with it. Generated definitions and answers (some items
left out, so insufficient and prorated scales occur) and the built-in questionnaires are
scored, and each step is validated against its shape (extra keys refused).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.scoring import score
from app.scoring.result import ScoreResult, TraceRule, TraceStep
from app.scoring.steps import TraceStepShape
from tests.scoring.test_properties import SETTINGS, definitions

SHAPES: TypeAdapter[object] = TypeAdapter(TraceStepShape)


def answers_for(definition: Definition, data: st.DataObject) -> dict[str, int]:
    """An answer from each item's own options, for a drawn subset of the items."""
    answers: dict[str, int] = {}
    for item in definition.items:
        if data.draw(st.booleans()):
            values = [o.value for o in definition.response_scales[item.scale].options]
            answers[item.id] = data.draw(st.sampled_from(values))
    return answers


def check_shapes(result: ScoreResult) -> set[str]:
    """Validate every step against its published shape; the kinds of step seen."""
    for step in result.trace:
        SHAPES.validate_python(step.model_dump(mode="json"))
    return {step.rule for step in result.trace}


@SETTINGS
@given(data=st.data())
def test_generated_scorings_write_the_published_shapes(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    check_shapes(score(definition, answers_for(definition, data)))


def test_the_built_in_questionnaires_write_the_published_shapes() -> None:
    seen: set[str] = set()
    for definition in Registry.load().all():
        for position in (0, -1):
            full = {
                item.id: definition.response_scales[item.scale].options[position].value
                for item in definition.items
            }
            seen |= check_shapes(score(definition, full))
            seen |= check_shapes(score(definition, dict(list(full.items())[:1])))
    assert {"item", "scale", "band", "insufficient", "profile"} <= seen


def test_the_published_schema_has_one_variant_per_rule() -> None:
    schema = TraceStep.model_json_schema()
    mapping = schema["discriminator"]["mapping"]
    assert schema["discriminator"]["propertyName"] == "rule"
    assert sorted(mapping) == sorted(TraceRule.__value__.__args__)
    assert len(schema["oneOf"]) == len(mapping)
    assert "data" not in schema.get("properties", {})  # no open map beside the variants
    assert mapping["item"] == "#/$defs/ItemStep"
    item = schema["$defs"]["ItemData"]
    assert item["additionalProperties"] is False
    assert item["required"] == ["answer", "score"]


def test_optional_data_keys_are_published_without_a_default() -> None:
    # A default (null) would make generated clients type the key as always present.
    definitions = TraceStep.model_json_schema()["$defs"]
    optional = {
        (name, key)
        for name, shape in definitions.items()
        if name.endswith("Data")
        for key in shape.get("properties", {})
        if key not in shape.get("required", [])
    }
    assert ("ItemData", "min") in optional
    assert ("InsufficientData", "max_missing") in optional
    for name, key in optional:
        assert "default" not in definitions[name]["properties"][key], (name, key)


def test_a_result_names_the_scale_it_lacks() -> None:
    definition = next(iter(Registry.load().all()))
    result = score(definition, {})
    first = definition.scales[0].id
    assert result.scale(first) is result.scales[0]
    assert result.scale(definition.scales[-1].id) is result.scales[-1]
    with pytest.raises(KeyError, match="no-such-scale"):
        result.scale("no-such-scale")
