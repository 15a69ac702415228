"""The trace's `data`: the numbers behind each sentence, for every kind of step.

A trace step's `data` is what lets a machine check the sentence a person reads. One definition
with every kind of step pins the payloads exactly; a property test then recomputes each payload
from the answers alone on generated definitions.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.questionnaires.model import Definition, round_half_up
from app.scoring import score
from app.scoring.result import ScoreResult, TraceStep
from tests.scoring.builders import band, item, make_definition, options, rule, scale
from tests.scoring.test_properties import SETTINGS, answers_for, definitions

MIXED_HIGH = {"scale": "mixed", "band": ["high"]}


def every_step_kind() -> Definition:
    """Scales that, with ANSWERS, take every kind of step the engine has.

    mixed: four 0-4 items (a reversed) and a 0-1 item, 4 of 5 answered: prorated past its
    maximum of 17, so clamped. avg: a mean of three, rounded to one decimal. emo: a recoded
    item with its partner missing, not prorated. gone: nothing answered.
    """
    return make_definition(
        items=[
            item("a", reverse=True),
            item("b"),
            item("d"),
            item("e"),
            item("y", scale="yn"),
            item("p"),
            item("q"),
            item("r"),
            item("c", scale="ymn", recode={1: 1, 2: 1, 3: 0}),
            item("u"),
            item("v"),
            item("w"),
        ],
        scales=[
            scale(
                "mixed", ["a", "b", "d", "e", "y"], bands=[band("low", 0, 8), band("high", 9, 17)]
            ),
            scale(
                "avg",
                ["p", "q", "r"],
                method="mean",
                precision=1,
                bands=[band("low", 0, 1.9), band("high", 2, 4)],
            ),
            scale("emo", ["c", "u"], min_answered=0.5, prorate=False),
            scale("gone", ["v", "w"]),
        ],
        response_scales={
            "freq": options(0, 1, 2, 3, 4),
            "yn": options(0, 1),
            "ymn": options(1, 2, 3),
        },
        profiles=[
            rule("both-high", {"all": [MIXED_HIGH, {"scale": "avg", "band": ["high"]}]}),
            rule("mixed-high", MIXED_HIGH),
        ],
        flags=[rule("mixed-high", MIXED_HIGH)],
    )


ANSWERS = {"a": 0, "b": 4, "d": 4, "e": 4, "p": 1, "q": 1, "r": 2, "c": 2}


def test_every_kind_of_step_carries_its_numbers() -> None:
    result = score(every_step_kind(), ANSWERS)
    assert [(t.rule, t.target, t.data) for t in result.trace] == [
        ("item", "a", {"answer": 0, "min": 0, "max": 4, "score": 4}),
        ("item", "c", {"answer": 2, "score": 1}),
        ("scale", "mixed", {"method": "sum", "answered": 4, "raw": 16, "mean": 4}),
        ("prorate", "mixed", {"raw": 16, "answered": 4, "total": 5, "prorated": 20}),
        ("scale", "mixed", {"value": 20, "min": 0, "max": 17, "score": 17}),
        ("band", "mixed", {"score": 17, "band": "high", "min": 9, "max": 17}),
        ("scale", "avg", {"method": "mean", "answered": 3, "raw": 4, "mean": 4 / 3}),
        ("round", "avg", {"value": 4 / 3, "precision": 1, "score": 1.3}),
        ("band", "avg", {"score": 1.3, "band": "low", "min": 0, "max": 1.9}),
        (
            "insufficient",
            "emo",
            {
                "answered": 1,
                "total": 2,
                "min_answered": 0.5,
                "prorate": False,
                "max_missing": None,
                "missing": ["u"],
            },
        ),
        (
            "insufficient",
            "gone",
            {
                "answered": 0,
                "total": 2,
                "min_answered": 0.8,
                "prorate": True,
                "max_missing": None,
                "missing": ["v", "w"],
            },
        ),
        ("profile", "mixed-high", {"profile": "mixed-high", "not_matched": ["both-high"]}),
        ("flag", "mixed-high", {}),
    ]
    assert [t.detail for t in result.trace if t.target == "avg"] == [
        "mean of 3 answered items = 4 / 3 = 1.3333",
        "1.3333 rounded half up to 1 decimal(s) = 1.3",
        "score 1.3 is in band low [0, 1.9]",
    ]


def test_no_matching_profile_step_names_the_questionnaire() -> None:
    definition = every_step_kind()
    low = {"a": 4, "b": 0, "d": 0, "e": 0}
    step = score(definition, low).trace[-1]
    assert (step.rule, step.target) == ("profile", "test-check")
    assert step.data == {"profile": None, "not_matched": ["both-high", "mixed-high"]}


def test_a_first_matching_profile_names_no_earlier_rules() -> None:
    definition = make_definition(
        items=[item("a")],
        scales=[scale("s", ["a"])],
        profiles=[rule("any", {"always": True}), rule("never-reached", {"always": True})],
    )
    step = score(definition, {"a": 1}).trace[-1]
    assert (step.detail, step.data) == (
        "profile any matched: always",
        {"profile": "any", "not_matched": []},
    )


# --- every payload, recomputed from the answers --------------------------------------------------


def item_score(definition: Definition, item_id: str, answer: int) -> int:
    model = next(i for i in definition.items if i.id == item_id)
    if model.reverse:
        response = definition.response_scales[model.scale]
        return response.min + response.max - answer
    return answer if model.recode is None else model.recode[answer]


def check_item_steps(definition: Definition, answers: dict[str, int], result: ScoreResult) -> None:
    steps = {t.target: t.data for t in result.trace if t.rule == "item"}
    for model in definition.items:
        answer = answers.get(model.id)
        if answer is None or not (model.reverse or model.recode is not None):
            assert model.id not in steps
        elif model.reverse:
            response = definition.response_scales[model.scale]
            assert steps[model.id] == {
                "answer": answer,
                "min": response.min,
                "max": response.max,
                "score": item_score(definition, model.id, answer),
            }
        else:
            assert steps[model.id] == {"answer": answer, "score": model.recode[answer]}  # type: ignore[index]


def check_scale_steps(
    definition: Definition, answers: dict[str, int], result: ScoreResult, scale_id: str
) -> None:
    model = definition.scale(scale_id)
    scored = result.scale(scale_id)
    steps: list[TraceStep] = [t for t in result.trace if t.target == scale_id]
    present = [item_score(definition, i, answers[i]) for i in model.items if i in answers]
    missing = [i for i in model.items if i not in answers]
    if scored.status == "insufficient":
        assert [(t.rule, t.data) for t in steps] == [
            (
                "insufficient",
                {
                    "answered": len(present),
                    "total": len(model.items),
                    "min_answered": model.min_answered,
                    "prorate": model.prorate,
                    "max_missing": model.max_missing,
                    "missing": missing,
                },
            )
        ]
        return
    raw, n = float(sum(present)), len(present)
    first, *rest = steps
    assert (first.rule, first.data) == (
        "scale",
        {"method": model.method, "answered": n, "raw": raw, "mean": raw / n},
    )
    value = raw if model.method == "sum" else raw / n
    if model.method == "sum" and missing:
        step = rest.pop(0)
        value = raw * len(model.items) / n
        assert (step.rule, step.data) == (
            "prorate",
            {"raw": raw, "answered": n, "total": len(model.items), "prorated": value},
        )
    bounded = min(max(value, scored.min), scored.max)
    if bounded != value:
        step = rest.pop(0)
        assert (step.rule, step.data) == (
            "scale",
            {"value": value, "min": scored.min, "max": scored.max, "score": bounded},
        )
    rounded = float(round_half_up(bounded, model.precision))
    if rounded != bounded:
        step = rest.pop(0)
        assert (step.rule, step.data) == (
            "round",
            {"value": bounded, "precision": model.precision, "score": rounded},
        )
    assert scored.score == rounded
    if model.bands:
        chosen = next(b for b in model.bands if b.id == scored.band)
        assert [(t.rule, t.data) for t in rest] == [
            ("band", {"score": rounded, "band": chosen.id, "min": chosen.min, "max": chosen.max})
        ]
    else:
        assert rest == []


@SETTINGS
@given(st.data())
def test_every_payload_follows_from_the_answers(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    answers = data.draw(answers_for(definition, complete=False))
    result = score(definition, answers, definition_hash="x")
    check_item_steps(definition, answers, result)
    for model in definition.scales:
        check_scale_steps(definition, answers, result, model.id)
