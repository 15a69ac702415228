"""The 1.1.0 questionnaires scored by hand: flags firing and not firing, the new missing rules.

Oracle tests: every expected number is worked out in the comment beside it from the rules the
definitions publish (item = answer, reversed = (min + max) - answer, recode tables; sums;
prorating raw * total / answered rounded half up; `max_missing` without prorating; a
not-applicable answer counts as missing).
"""

from __future__ import annotations

from functools import cache

import pytest

from app.questionnaires.model import Definition
from app.questionnaires.registry import DEFAULT_DIR, Registry, load_definition
from app.questionnaires.support import choose_support
from app.scoring import render_feedback, score
from tests.scoring.cases import Case


@cache
def definition(questionnaire_id: str) -> Definition:
    """A shipped 1.1.0 definition, read from its file."""
    return load_definition(DEFAULT_DIR / f"{questionnaire_id}-1.1.0.yaml")


WOT_IDS = {
    "hyper": ["hyper-on-edge", "hyper-racing", "hyper-reactive", "hyper-braced"],
    "hypo": ["hypo-numb", "hypo-outside", "hypo-shut-down", "hypo-heavy"],
    "ventral": ["ventral-settled", "ventral-enjoy-people", "ventral-clear", "ventral-curious"],
    "close": ["close-safe", "close-comfort", "close-overwhelming", "close-pull-away"],
}
CONN_IDS = {
    "lonely": ["lonely-among-others", "lonely-not-known", "lonely-close"],
    "isolated": ["isolated-contact", "isolated-whole-days", "isolated-someone-to-call"],
    "coreg": ["coreg-presence", "coreg-voice", "coreg-on-my-own"],
    "safe": ["safe-be-myself", "safe-on-guard", "safe-repair"],
}


def answers_of(ids: dict[str, list[str]], *given: list[int]) -> dict[str, int]:
    """Answers in item order per scale; -1 leaves an item unanswered."""
    return {
        i: a
        for key, values in zip(ids, given, strict=True)
        for i, a in zip(ids[key], values, strict=True)
        if a >= 0
    }


def wot(hyper: list[int], hypo: list[int], ventral: list[int], close: list[int]) -> dict[str, int]:
    return answers_of(WOT_IDS, hyper, hypo, ventral, close)


def conn(lonely: list[int], iso: list[int], coreg: list[int], safe: list[int]) -> dict[str, int]:
    return answers_of(CONN_IDS, lonely, iso, coreg, safe)


WOT = "window-of-tolerance"
CONN = "connection"
DJG = "de-jong-gierveld-6"
THREE = "three-item-loneliness"

CASES = [
    # hyper 4+4+4+3 = 15 high; hypo 3*4 = 12 high; ventral 2*4 = 8 moderate;
    # close 2 + 2 + (4-2) + (4-2) = 8 moderate. The example: 1.0.0 raised no flag.
    Case(
        "wot: hyper 15 and hypo 12 each raise their own flag",
        WOT,
        wot([4, 4, 4, 3], [3, 3, 3, 3], [2, 2, 2, 2], [2, 2, 2, 2]),
        {
            "hyperarousal": (15, "high"),
            "hypoarousal": (12, "high"),
            "ventral-regulation": (8, "moderate"),
            "closeness-capacity": (8, "moderate"),
        },
        "swinging",
        ["hyperarousal-high", "hypoarousal-high"],
    ),
    # hyper 0+0+1+0 = 1 low; hypo 12 high; ventral 4 low; close 0 + 0 + 4 + 4 = 8 moderate.
    Case(
        "wot: shut down alone raises the hypoarousal flag, never the hyperarousal one",
        WOT,
        wot([0, 0, 1, 0], [3, 3, 3, 3], [1, 1, 1, 1], [0, 0, 0, 0]),
        {
            "hyperarousal": (1, "low"),
            "hypoarousal": (12, "high"),
            "ventral-regulation": (4, "low"),
            "closeness-capacity": (8, "moderate"),
        },
        "below-window",
        ["hypoarousal-high", "outside-window-little-settling"],
    ),
    # hyper 12 high; hypo 12 high; ventral 0+1+0+1 = 2 low; close 1 + 1 + (4-3) + (4-3) = 4.
    Case(
        "wot: swinging with little settling raises every flag",
        WOT,
        wot([3, 3, 3, 3], [3, 3, 3, 3], [0, 1, 0, 1], [1, 1, 3, 3]),
        {
            "hyperarousal": (12, "high"),
            "hypoarousal": (12, "high"),
            "ventral-regulation": (2, "low"),
            "closeness-capacity": (4, "low"),
        },
        "swinging",
        [
            "hyperarousal-high",
            "hypoarousal-high",
            "swinging-little-settling",
            "outside-window-little-settling",
        ],
    ),
    # hyper 2+3+3+2 = 10 moderate (one below high); hypo 2+2+3+3 = 10; ventral 2+1+1+1 = 5
    # low; close 2 + 2 + 2 + 2 = 8. No scale is high, so no flag.
    Case(
        "wot: just below the high bands, no flag",
        WOT,
        wot([2, 3, 3, 2], [2, 2, 3, 3], [2, 1, 1, 1], [2, 2, 2, 2]),
        {
            "hyperarousal": (10, "moderate"),
            "hypoarousal": (10, "moderate"),
            "ventral-regulation": (5, "low"),
            "closeness-capacity": (8, "moderate"),
        },
        "near-the-edges",
    ),
    # A calm person: every activation item "Never" now scores 0 (1.0.0's reversed
    # hyper-slow-down gave 4 to someone who never needed to slow down). ventral 4+4+3+3 = 14;
    # close 4 + 4 + (4-0) + (4-0) = 16.
    Case(
        "wot: a calm person scores 0 on hyperarousal",
        WOT,
        wot([0, 0, 0, 0], [0, 0, 0, 0], [4, 4, 3, 3], [4, 4, 0, 0]),
        {
            "hyperarousal": (0, "low"),
            "hypoarousal": (0, "low"),
            "ventral-regulation": (14, "high"),
            "closeness-capacity": (16, "high"),
        },
        "within-window",
    ),
    # "No one was close to me" (9) is missing: close-comfort 3, (4-1) = 3, (4-0) = 4; 3 of 4
    # answered: 10 * 4 / 3 = 13.33 -> 13 high.
    Case(
        "wot: a not-applicable closeness answer counts as missing and is prorated",
        WOT,
        wot([1, 1, 1, 1], [1, 1, 1, 1], [2, 2, 2, 2], [9, 3, 1, 0]),
        {
            "hyperarousal": (4, "low"),
            "hypoarousal": (4, "low"),
            "ventral-regulation": (8, "moderate"),
            "closeness-capacity": (13, "high"),
        },
        "within-window",
    ),
    # No one was close at all: 0 of 4 scored, so closeness is insufficient, never "too much".
    Case(
        "wot: no one was close, so closeness is not scored",
        WOT,
        wot([1, 1, 1, 1], [1, 1, 1, 1], [2, 2, 2, 2], [9, 9, 9, 9]),
        {
            "hyperarousal": (4, "low"),
            "hypoarousal": (4, "low"),
            "ventral-regulation": (8, "moderate"),
            "closeness-capacity": (None, None),
        },
        "within-window",
    ),
    # lonely 4 + 3 + (4-0) = 11 high; isolated (4-4) + 0 + (4-4) = 0 low;
    # coreg 1 + 1 + (4-3) = 3 low; safe 3 + (4-1) + 3 = 9 high.
    Case(
        "connection: lonely with little calming company, though not isolated",
        CONN,
        conn([4, 3, 0], [4, 0, 4], [1, 1, 3], [3, 1, 3]),
        {
            "loneliness": (11, "high"),
            "isolation": (0, "low"),
            "co-regulation": (3, "low"),
            "relational-safety": (9, "high"),
        },
        "lonely-not-isolated",
        ["lonely-little-calming-or-safety"],
    ),
    # lonely 3 + 3 + (4-1) = 9 high; isolated (4-2) + 2 + (4-2) = 6; coreg 3 + 3 + (4-1) = 9
    # high; safe 1 + (4-4) + 1 = 2 low: little felt safety alone raises the flag.
    Case(
        "connection: lonely with little felt safety",
        CONN,
        conn([3, 3, 1], [2, 2, 2], [3, 3, 1], [1, 4, 1]),
        {
            "loneliness": (9, "high"),
            "isolation": (6, "moderate"),
            "co-regulation": (9, "high"),
            "relational-safety": (2, "low"),
        },
        "lonely-not-isolated",
        ["lonely-little-calming-or-safety"],
    ),
    # lonely 4 + 4 + 4 = 12; isolated 4 + 4 + 4 = 12; coreg 2 + 2 + 2 = 6; safe 2 + 2 + 2 = 6:
    # some calming company and some safety, so no flag.
    Case(
        "connection: lonely and isolated with some calming company, no flag",
        CONN,
        conn([4, 4, 0], [0, 4, 0], [2, 2, 2], [2, 2, 2]),
        {
            "loneliness": (12, "high"),
            "isolation": (12, "high"),
            "co-regulation": (6, "moderate"),
            "relational-safety": (6, "moderate"),
        },
        "lonely-and-isolated",
    ),
    # lonely 2 + 2 + (4-2) = 6 moderate; coreg 0 + 0 + (4-4) = 0 low: not lonely enough.
    Case(
        "connection: little calming company without high loneliness, no flag",
        CONN,
        conn([2, 2, 2], [2, 2, 2], [0, 0, 4], [2, 2, 2]),
        {
            "loneliness": (6, "moderate"),
            "isolation": (6, "moderate"),
            "co-regulation": (0, "low"),
            "relational-safety": (6, "moderate"),
        },
        "in-between",
    ),
    # emotional yes, yes, yes -> 1 + 1 + 1 = 3; social no, no, no -> 1 + 1 + 1 = 3; total 6.
    Case(
        "de jong: total 6, severely lonely, raises the flag",
        DJG,
        {
            "emptiness": 1,
            "miss-people-around": 1,
            "feel-rejected": 1,
            "rely-on": 3,
            "trust-completely": 3,
            "feel-close-to": 3,
        },
        {"emotional": (3, "lonely"), "social": (3, "lonely"), "total": (6, "severely-lonely")},
        None,
        ["severely-lonely"],
    ),
    # emptiness missing: emotional insufficient (any missing item); miss-people-around yes 1,
    # feel-rejected more or less 1; social no 1, no 1, more or less 1 -> 3; total over the
    # five answered, not prorated: 1 + 1 + 3 = 5 -> severely lonely.
    Case(
        "de jong: one missing item, total over the five answered, not prorated",
        DJG,
        {
            "miss-people-around": 1,
            "feel-rejected": 2,
            "rely-on": 3,
            "trust-completely": 3,
            "feel-close-to": 2,
        },
        {"emotional": (None, None), "social": (3, "lonely"), "total": (5, "severely-lonely")},
        None,
        ["severely-lonely"],
    ),
    # two missing: the total is insufficient too.
    Case(
        "de jong: two missing items, no total",
        DJG,
        {"miss-people-around": 1, "feel-rejected": 2, "rely-on": 3, "trust-completely": 3},
        {"emotional": (None, None), "social": (None, None), "total": (None, None)},
        None,
    ),
    # emotional 1 + 1 + 0 (no) = 2; social no 1, no 1, yes 0 = 2; total 4: moderate, no flag.
    Case(
        "de jong: total 4, moderately lonely, no flag",
        DJG,
        {
            "emptiness": 1,
            "miss-people-around": 1,
            "feel-rejected": 3,
            "rely-on": 3,
            "trust-completely": 3,
            "feel-close-to": 1,
        },
        {"emotional": (2, "lonely"), "social": (2, "lonely"), "total": (4, "moderately-lonely")},
        None,
    ),
    # 3 + 3 + 3 = 9, the top of the range.
    Case(
        "three-item: 9 raises the top-of-range flag",
        THREE,
        {"lack-companionship": 3, "left-out": 3, "isolated": 3},
        {"loneliness": (9, "higher")},
        None,
        ["top-of-range"],
    ),
    # 3 + 3 + 2 = 8: higher band, below the top.
    Case(
        "three-item: 8 is higher but not the top, no flag",
        THREE,
        {"lack-companionship": 3, "left-out": 3, "isolated": 2},
        {"loneliness": (8, "higher")},
        None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_scored_by_hand(case: Case) -> None:
    result = score(definition(case.questionnaire), case.answers)
    got = {s.id: (s.score, s.band) for s in result.scales}
    assert got == case.scales
    assert result.profile == case.profile
    assert result.flags == case.flags


def test_the_one_missing_rule_is_new_in_1_1_0() -> None:
    """1.0.0 needed all six answers for a total; its stored results still score that way."""
    answers = CASES[12].answers
    old = score(load_definition(DEFAULT_DIR / f"{DJG}.yaml"), answers)
    assert old.scale("total").status == "insufficient"
    new = score(definition(DJG), answers)
    step = next(t for t in new.trace if t.rule == "prorate" and t.target == "total")
    assert step.detail == (
        "5 of 6 answered; this scale is not prorated, so the score is the sum of the answered "
        "items, 5"
    )


def test_a_not_applicable_answer_is_traced_as_missing() -> None:
    result = score(definition(WOT), CASES[5].answers)
    step = next(t for t in result.trace if t.target == "close-safe")
    assert step.detail == "close-safe: answer 9 is 'not applicable', counted as missing"
    assert result.scale("closeness-capacity").missing == ["close-safe"]


def test_the_rules_are_published_with_the_definition() -> None:
    de_jong = definition(DJG)
    assert (de_jong.scale("total").max_missing, de_jong.scale("total").prorate) == (1, False)
    options = definition(WOT).response_scales["frequency-closeness"].options
    assert [o.value for o in options if o.not_applicable] == [9]
    assert definition(WOT).response_scales["frequency-closeness"].max == 4


@pytest.mark.parametrize("case", [c for c in CASES if c.flags], ids=lambda c: c.name)
def test_a_fired_flag_speaks_first_in_every_locale(case: Case) -> None:
    registry = Registry.load()
    d = definition(case.questionnaire)
    result = score(d, case.answers)
    for locale in d.locales:
        feedback = render_feedback(
            d, result, locale, registry.concepts, choose_support(registry.support, [locale])
        )
        assert feedback.support_first
        flags = [m for m in feedback.messages if m.kind == "flag"]
        assert [m.target for m in flags] == case.flags
        opening = "Tus respuestas sugieren" if locale == "es" else "Your answers suggest"
        for message in flags:
            assert message.text.startswith(opening), (message.target, locale)
            assert "!" not in message.text + message.why + (message.helps or "")
            assert message.helps, message.target


def test_each_arousal_flag_speaks_of_its_own_state() -> None:
    d = definition(WOT)
    hyper = d.feedback["flag-hyperarousal-high"].text["en"]
    hypo = d.feedback["flag-hypoarousal-high"].text["en"]
    assert "revved up" in hyper
    assert "shut down" not in hyper
    assert "shut down" in hypo
    assert "revved" not in hypo
    assert "activation" not in hypo
