"""Compiled plans: one per definition, bounded caches, and results that are ordinary models.

What scoring gives is held equal to the engine before plans by test_reference.py; this file
checks what the plans themselves promise: a definition is compiled once and its plan reused,
the caches stay bounded, and a result built without validation behaves like a validated one.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest

from app.questionnaires.model import Definition
from app.questionnaires.registry import DEFAULT_DIR, load_definition
from app.scoring import plan as plans
from app.scoring import scales, score
from app.scoring.plan import CACHE_SIZE, compile_plan, plan_for
from app.scoring.result import ScaleScore, ScoreResult, TraceStep
from tests.scoring import reference
from tests.scoring.builders import band, four_items, make_definition, scale

WOT = DEFAULT_DIR / "window-of-tolerance-1.1.0.yaml"


def one_scale(**extra: object) -> Definition:
    bands = [band("low", 0, 8), band("high", 9, 16)]
    return make_definition(
        items=four_items(), scales=[scale("s", list("abcd"), bands=bands, **extra)]
    )


def test_a_definition_is_compiled_once_and_its_plan_reused() -> None:
    definition = one_scale()
    first = plan_for(definition)
    assert plan_for(definition) is first
    assert first.definition is definition
    # An equal definition is another object: it gets its own plan, not the first one's.
    twin = one_scale()
    assert plan_for(twin) is not first
    assert plan_for(twin).definition is twin


def test_the_plan_cache_keeps_the_newest_definitions_only() -> None:
    oldest, *others = [one_scale() for _ in range(CACHE_SIZE + 1)]
    first = plan_for(oldest)
    for definition in others[:-1]:
        plan_for(definition)
    assert len(plans._PLANS) == CACHE_SIZE
    assert plan_for(oldest) is first  # still cached: exactly CACHE_SIZE definitions so far
    plan_for(others[-1])  # one more: the oldest entry goes
    assert len(plans._PLANS) == CACHE_SIZE
    assert id(oldest) not in plans._PLANS
    assert id(others[0]) in plans._PLANS
    recompiled = plan_for(oldest)
    assert recompiled is not first
    assert recompiled.definition is oldest


def test_a_scale_keeps_a_bounded_number_of_outcomes(monkeypatch: pytest.MonkeyPatch) -> None:
    definition = one_scale()
    monkeypatch.setattr(scales, "OUTCOMES_SIZE", 2)
    for answer in (0, 1, 2, 3):
        result = score(definition, dict.fromkeys("abcd", answer))
        assert result == reference.score(definition, dict.fromkeys("abcd", answer))
    outcomes = plan_for(definition).scales[0].outcomes
    assert sorted(outcomes) == [(4, 0), (4, 4)]
    # A kept outcome is reused as it is: the same frozen steps.
    again = score(definition, dict.fromkeys("abcd", 1))
    assert again.trace[0] is score(definition, dict.fromkeys("abcd", 1)).trace[0]
    assert again.trace == list(outcomes[(4, 4)][0])


def test_the_content_hash_is_computed_once_per_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    definition = load_definition(WOT)
    expected = definition.content_hash()
    calls: list[str] = []
    original: Callable[[Definition], str] = Definition.content_hash

    def counted(self: Definition) -> str:
        calls.append(self.key)
        return original(self)

    monkeypatch.setattr(Definition, "content_hash", counted)
    answers = {item.id: 0 for item in definition.items}
    assert score(definition, answers).definition_hash == expected
    assert score(definition, answers).definition_hash == expected
    assert score(definition, answers, definition_hash="given").definition_hash == "given"
    assert calls == [definition.key]
    assert compile_plan(definition).content_hash is None


def test_results_built_without_validation_are_ordinary_models() -> None:
    definition = load_definition(WOT)
    answers = {item.id: 3 for item in definition.items} | {"close-safe": 9}
    result = score(definition, answers, definition_hash="h")
    validated = ScoreResult.model_validate(result.model_dump())
    assert validated == result
    assert result.model_fields_set == validated.model_fields_set == set(ScoreResult.model_fields)
    for built, checked in zip(result.scales, validated.scales, strict=True):
        assert isinstance(built, ScaleScore)
        assert built.model_fields_set == checked.model_fields_set
    for built_step, checked_step in zip(result.trace, validated.trace, strict=True):
        assert isinstance(built_step, TraceStep)
        assert built_step.model_fields_set == checked_step.model_fields_set
        assert built_step.model_extra is None
    assert result.model_extra is None
    # Frozen like a validated result, and copies (as the API's response models make) are equal.
    with pytest.raises(ValueError, match="frozen"):
        result.scales[0].band = "other"  # type: ignore[misc]
    assert result.model_copy(deep=True) == result
    # They pickle (a process pool or a cache may hand results on) into equal results.
    assert pickle.loads(pickle.dumps(result)) == result  # noqa: S301 - our own bytes
    for part in [*result.scales, *result.trace]:
        assert pickle.loads(pickle.dumps(part)) == part  # noqa: S301 - our own bytes
    assert result.model_dump_json(exclude_unset=True) == validated.model_dump_json()
    assert repr(result) == repr(validated)


def test_only_items_that_are_not_their_own_score_get_an_answer_table() -> None:
    definition = load_definition(WOT)
    plan = plan_for(definition)
    with_na = {name for name, rs in definition.response_scales.items() if rs.not_applicable}
    plain = [i.id for i in definition.items if not i.reverse and i.scale not in with_na]
    assert list(plan.plain) == plain
    assert [i.id for i in plan.keyed] == [i.id for i in definition.items if i.id not in plain]
    assert plan.keyed  # window-of-tolerance 1.1.0 has both kinds
    assert plain
    for keyed in plan.keyed:
        assert (
            sorted(keyed.keyed)
            == definition.response_scales[definition.item(keyed.id).scale].values
        )
    assert all(not plan.by_id[item_id].keyed for item_id in plain)
