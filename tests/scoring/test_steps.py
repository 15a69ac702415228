"""Every trace step the engine writes has the shape the API contract publishes for its rule.

`app/scoring/steps.py` declares one data shape per kind of step for the OpenAPI document; a
generated client parses trace steps with it. Generated definitions and answers (some items
left out, so insufficient and prorated scales occur) and the built-in questionnaires are
scored, and each step is validated against its shape (extra keys refused).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.scoring import score
from app.scoring.result import ScoreResult
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
