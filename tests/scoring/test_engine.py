"""The scoring rules of CONTENT.md §3 on small definitions, with hand-computed numbers."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.questionnaires.model import Definition
from app.scoring import ENGINE_VERSION, AnswerProblem, check_answers, score
from tests.scoring.builders import band, four_items, item, make_definition, options, scale

ABCD = list("abcd")


def one_scale(items: list[dict[str, Any]] | None = None, **extra: Any) -> Definition:
    """Items a-d (0-4) under one scale `s`, unless other items are given."""
    items = items or four_items()
    return make_definition(items=items, scales=[scale("s", [i["id"] for i in items], **extra)])


# --- answers that cannot be scored ------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"a": 0, "b": 4}, []),
        ({}, []),
        ({"zz": 1}, [("zz", "no such item in test-check@1.0.0")]),
        ({"a": True}, [("a", "must be a whole number, not bool")]),
        ({"a": "2"}, [("a", "must be a whole number, not str")]),
        ({"a": 2.0}, [("a", "must be a whole number, not float")]),
        ({"a": None}, [("a", "must be a whole number, not NoneType")]),
        ({"a": 5}, [("a", "5 is not an allowed answer (allowed: 0, 1, 2, 3, 4)")]),
        (
            {"a": -1, "zz": 0},
            [
                ("a", "-1 is not an allowed answer (allowed: 0, 1, 2, 3, 4)"),
                ("zz", "no such item in test-check@1.0.0"),
            ],
        ),
    ],
    ids=["fine", "empty", "unknown", "bool", "str", "float", "none", "out-of-range", "two"],
)
def test_check_answers(answers: dict[str, object], expected: list[tuple[str, str]]) -> None:
    assert check_answers(one_scale(), answers) == expected


def test_score_refuses_what_check_answers_finds() -> None:
    with pytest.raises(AnswerProblem) as caught:
        score(one_scale(), {"a": 9, "b": False})
    assert [where for where, _ in caught.value.problems] == ["a", "b"]
    assert str(caught.value) == (
        "a: 9 is not an allowed answer (allowed: 0, 1, 2, 3, 4); "
        "b: must be a whole number, not bool"
    )
    assert isinstance(caught.value, ValueError)


def test_allowed_values_are_the_items_own_scale() -> None:
    definition = make_definition(
        items=[item("a"), item("y", scale="three")],
        scales=[scale("s", ["a", "y"])],
        response_scales={"freq": options(0, 1, 2, 3, 4), "three": options(1, 2, 3)},
    )
    assert check_answers(definition, {"a": 0, "y": 3}) == []
    assert check_answers(definition, {"y": 0}) == [
        ("y", "0 is not an allowed answer (allowed: 1, 2, 3)")
    ]


# --- item scores ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "item_score"), [(0, 4), (1, 3), (2, 2), (4, 0)], ids=["0", "1", "2", "4"]
)
def test_reverse_keying_on_a_0_to_4_scale(answer: int, item_score: int) -> None:
    definition = one_scale([item("a", reverse=True)])
    assert score(definition, {"a": answer}).scale("s").raw == item_score


@pytest.mark.parametrize(("answer", "item_score"), [(1, 3), (2, 2), (3, 1)], ids=["1", "2", "3"])
def test_reverse_keying_uses_the_items_own_min_and_max(answer: int, item_score: int) -> None:
    definition = make_definition(
        items=[item("y", scale="three", reverse=True)],
        scales=[scale("s", ["y"])],
        response_scales={"three": options(1, 2, 3)},
    )
    assert score(definition, {"y": answer}).scale("s").raw == item_score


@pytest.mark.parametrize(
    ("answer", "item_score"), [(1, 1), (2, 1), (3, 0)], ids=["yes", "mol", "no"]
)
def test_recode_replaces_the_answer(answer: int, item_score: int) -> None:
    # De Jong Gierveld style: "yes" and "more or less" both score 1 on an emotional item.
    definition = make_definition(
        items=[item("e", scale="ymn", recode={1: 1, 2: 1, 3: 0})],
        scales=[scale("s", ["e"])],
        response_scales={"ymn": options(1, 2, 3)},
    )
    result = score(definition, {"e": answer})
    assert result.scale("s").raw == item_score
    assert result.trace[0].detail == f"e is recoded: answer {answer} scores {item_score}"


# --- scale scores -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "answers", "expected"),
    [
        # 1 + 3 (b reversed: 4 - 1) + 2 + 3 = 9
        ({}, {"a": 1, "b": 1, "c": 2, "d": 3}, {"raw": 9, "mean": 2.25, "score": 9}),
        ({"method": "mean"}, {"a": 1, "b": 1, "c": 2, "d": 3}, {"raw": 9, "score": 2}),
        # 2.25 rounds half up to 2.3 at one decimal (a float round() would say 2.2)
        ({"method": "mean", "precision": 1}, {"a": 1, "b": 1, "c": 2, "d": 3}, {"score": 2.3}),
        ({"method": "mean", "precision": 2}, {"a": 1, "b": 1, "c": 2, "d": 3}, {"score": 2.25}),
        # mean of the answered items only: (1 + 3 + 2) / 3 = 2
        ({"method": "mean", "min_answered": 0.75}, {"a": 1, "b": 1, "c": 2}, {"score": 2}),
        # prorated: 6 * 4 / 3 = 8
        ({"min_answered": 0.75}, {"a": 1, "b": 1, "c": 2}, {"raw": 6, "score": 8}),
        # prorated: 5 * 4 / 3 = 6.67 -> 7
        ({"min_answered": 0.75}, {"a": 0, "b": 3, "c": 4}, {"raw": 5, "score": 7}),
        ({"min_answered": 0.75, "precision": 2}, {"a": 0, "b": 3, "c": 4}, {"score": 6.67}),
    ],
    ids=[
        "sum",
        "mean",
        "mean-half-up",
        "mean-2dp",
        "mean-partial",
        "prorate",
        "prorate-round",
        "prorate-2dp",
    ],
)
def test_scale_score(
    extra: dict[str, Any], answers: dict[str, int], expected: dict[str, float]
) -> None:
    result = score(one_scale(four_items(reverse=("b",)), **extra), answers).scale("s")
    assert result.status == "scored"
    assert {key: getattr(result, key) for key in expected} == expected


def test_prorating_rounds_half_up() -> None:
    # 5 items, 4 answered: 10 * 5 / 4 = 12.5 -> 13 (banker's rounding would give 12)
    items = [item(i) for i in "abcde"]
    result = score(one_scale(items), {"a": 1, "b": 2, "c": 3, "d": 4})
    assert result.scale("s").score == 13
    assert [(t.rule, t.detail) for t in result.trace] == [
        ("scale", "sum of 4 answered items = 10"),
        ("prorate", "4 of 5 answered: 10 \u00d7 5 / 4 = 12.5"),
        ("round", "12.5 rounded half up to 0 decimal(s) = 13"),
    ]


@pytest.mark.parametrize(
    ("n_items", "n_answered", "min_answered", "status"),
    [
        (5, 4, 0.8, "scored"),  # exactly 0.8 passes
        (5, 3, 0.8, "insufficient"),
        (10, 8, 0.8, "scored"),
        (10, 7, 0.7, "scored"),  # 7 / 10 is the same float as 0.7
        (10, 6, 0.7, "insufficient"),
        # 25 * 0.28 is 7.000000000000001: `answered >= total * min_answered` would fail these
        (25, 7, 0.28, "scored"),
        (25, 6, 0.28, "insufficient"),
        (50, 28, 0.56, "scored"),
        (50, 27, 0.56, "insufficient"),
        (3, 2, 0.67, "insufficient"),  # 0.666... is below 0.67
        (3, 2, 0.66, "scored"),
        (4, 4, 1.0, "scored"),
        (4, 3, 1.0, "insufficient"),
    ],
)
def test_min_answered_boundary(
    n_items: int, n_answered: int, min_answered: float, status: str
) -> None:
    items = [item(f"i{n}") for n in range(n_items)]
    answers = {f"i{n}": 2 for n in range(n_answered)}
    result = score(one_scale(items, min_answered=min_answered), answers).scale("s")
    assert (result.status, result.answered, result.total) == (status, n_answered, n_items)


@settings(max_examples=60, deadline=None)
@given(total=st.integers(1, 50), percent=st.integers(1, 100), data=st.data())
def test_min_answered_is_an_exact_share(total: int, percent: int, data: st.DataObject) -> None:
    answered = data.draw(st.integers(0, total))
    items = [item(f"i{n}") for n in range(total)]
    answers = {f"i{n}": 1 for n in range(answered)}
    result = score(one_scale(items, min_answered=percent / 100), answers).scale("s")
    exact = Fraction(answered, total) >= Fraction(percent, 100)
    assert result.status == ("scored" if exact else "insufficient")


def test_insufficient_scale_reports_raw_and_mean_but_no_score() -> None:
    result = score(one_scale(bands=[band("low", 0, 7), band("high", 8, 16)]), {"a": 1, "b": 4})
    scale_score = result.scale("s")
    assert (scale_score.status, scale_score.score, scale_score.band) == ("insufficient", None, None)
    assert (scale_score.raw, scale_score.mean, scale_score.missing) == (5, 2.5, ["c", "d"])
    assert [(t.rule, t.detail) for t in result.trace] == [
        ("insufficient", "2 of 4 answered, below the required 80 %"),
    ]


def test_no_answers_gives_no_raw_or_mean() -> None:
    scale_score = score(one_scale(), {}).scale("s")
    assert (scale_score.status, scale_score.raw, scale_score.mean) == ("insufficient", None, None)
    assert scale_score.missing == ABCD


@pytest.mark.parametrize("method", ["sum", "mean"])
def test_prorate_false_needs_every_item(method: str) -> None:
    definition = one_scale(method=method, prorate=False, min_answered=0.5)
    partial = score(definition, {"a": 1, "b": 1, "c": 1})
    assert partial.scale("s").status == "insufficient"
    assert partial.trace[-1].detail == (
        "3 of 4 answered, and this scale is not prorated, so every item must be answered"
    )
    assert score(definition, dict.fromkeys(ABCD, 1)).scale("s").status == "scored"


@pytest.mark.parametrize(
    ("total", "expected_band"),
    [(0, "low"), (3, "low"), (4, "mid"), (11, "mid"), (12, "high"), (16, "high")],
)
def test_band_edges_are_closed(total: int, expected_band: str) -> None:
    bands = [band("low", 0, 3), band("mid", 4, 11), band("high", 12, 16)]
    answers = dict(zip(ABCD, _split(total), strict=True))
    result = score(one_scale(bands=bands), answers)
    assert result.scale("s").band == expected_band
    low, high = {"low": (0, 3), "mid": (4, 11), "high": (12, 16)}[expected_band]
    assert result.trace[-1].detail == f"score {total} is in band {expected_band} [{low}, {high}]"


@pytest.mark.parametrize(("answers", "expected_band"), [((1, 1), "low"), ((1, 2), "high")])
def test_band_edges_on_a_decimal_grid(answers: tuple[int, int], expected_band: str) -> None:
    bands = [band("low", 0, 1.4), band("high", 1.5, 4)]
    definition = one_scale([item("a"), item("b")], method="mean", precision=1, bands=bands)
    result = score(definition, dict(zip("ab", answers, strict=True)))
    assert result.scale("s").band == expected_band


def test_scale_without_bands_has_no_band() -> None:
    result = score(one_scale(), dict.fromkeys(ABCD, 2))
    assert (result.scale("s").score, result.scale("s").band) == (8, None)
    assert [t.rule for t in result.trace] == ["scale"]


def test_score_range_is_reported() -> None:
    result = score(one_scale(method="mean"), dict.fromkeys(ABCD, 2)).scale("s")
    assert (result.min, result.max) == (0, 4)


def test_a_score_is_kept_within_the_possible_range() -> None:
    # Mixed ranges: four 0-4 items and one 0-1 item, max 17. Prorating 16 * 5 / 4 = 20.
    items = [*four_items(), item("y", scale="yn")]
    definition = make_definition(
        items=items,
        scales=[scale("s", [*ABCD, "y"])],
        response_scales={"freq": options(0, 1, 2, 3, 4), "yn": options(0, 1)},
    )
    result = score(definition, dict.fromkeys(ABCD, 4))
    assert (result.scale("s").score, result.scale("s").max) == (17, 17)
    assert (
        result.trace[-1].detail == "20 is outside the possible range [0, 17], so it is taken as 17"
    )


# --- the whole result -------------------------------------------------------------------------


def test_result_identity_and_hash() -> None:
    definition = one_scale()
    result = score(definition, {"a": 1})
    assert (result.questionnaire_id, result.questionnaire_version) == ("test-check", "1.0.0")
    assert result.engine_version == ENGINE_VERSION == "1.1.0"
    assert result.definition_hash == definition.content_hash()
    assert score(definition, {"a": 1}, definition_hash="cached").definition_hash == "cached"


def test_asking_for_a_scale_the_result_lacks_names_it() -> None:
    with pytest.raises(KeyError) as caught:
        score(one_scale(), {"a": 1}).scale("nope")
    assert caught.value.args == ("nope",)


def test_trace_order_for_a_reversed_prorated_banded_scale() -> None:
    definition = one_scale(
        four_items(reverse=("b",)),
        min_answered=0.75,
        bands=[band("low", 0, 9), band("high", 10, 16)],
    )
    result = score(definition, {"a": 4, "b": 1, "c": 2})
    assert [(t.rule, t.target, t.detail) for t in result.trace] == [
        ("item", "b", "b is reverse-keyed: (0 + 4) - 1 = 3"),
        ("scale", "s", "sum of 3 answered items = 9"),
        ("prorate", "s", "3 of 4 answered: 9 \u00d7 4 / 3 = 12"),
        ("band", "s", "score 12 is in band high [10, 16]"),
    ]
    assert result.trace[0].data == {"answer": 1, "min": 0, "max": 4, "score": 3}
    assert result.trace[2].data == {"raw": 9, "answered": 3, "total": 4, "prorated": 12}


def test_scoring_does_not_change_its_inputs() -> None:
    definition = one_scale(bands=[band("low", 0, 9), band("high", 10, 16)])
    answers = {"a": 1, "b": 2, "c": 3, "d": 4}
    before = (definition.content_hash(), dict(answers))
    first = score(definition, answers)
    assert (definition.content_hash(), answers) == before
    assert score(definition, answers) == first


def _split(total: int) -> list[int]:
    """Four 0-4 answers adding up to `total`."""
    return [min(4, max(0, total - 4 * n)) for n in range(4)]


@pytest.mark.parametrize(("answers", "expected_band"), [((0, 0), "low"), ((1, 2), "high")])
def test_bounds_off_the_grid_are_rounded_as_the_model_checks_them(
    answers: tuple[int, int], expected_band: str
) -> None:
    # The model accepts 0.04 as the start of a 0-4 range at one decimal (it rounds to 0.0), so
    # a score of 0 must land in `low`, and 1.5 in `high` (1.46 rounds to 1.5).
    bands = [band("low", 0.04, 1.44), band("high", 1.46, 4)]
    definition = one_scale([item("a"), item("b")], method="mean", precision=1, bands=bands)
    assert score(definition, dict(zip("ab", answers, strict=True))).scale("s").band == expected_band
