"""Every shipped questionnaire scored by hand: the expected numbers are worked out in comments.

Rules (CONTENT.md §3): item score = answer, reversed = (min + max) - answer, or the recode
table; a scale sums its items; with answers missing but answered/total >= min_answered, a
sum is prorated to raw * total / answered and rounded half up; below it (or with any missing
answer when prorate is false) the scale is insufficient. The first matching profile wins;
every matching flag is raised.
"""

from __future__ import annotations

from functools import cache

import pytest

from app.questionnaires.model import Definition
from app.questionnaires.registry import DEFAULT_DIR, load_definition
from app.scoring import score
from tests.scoring.cases import Case


@cache
def definition(questionnaire_id: str) -> Definition:
    """A shipped definition, read from its file."""
    return load_definition(DEFAULT_DIR / f"{questionnaire_id}.yaml")


def wot(hyper: list[int], hypo: list[int], ventral: list[int], close: list[int]) -> dict[str, int]:
    """Window-of-tolerance answers, in item order per scale; -1 leaves an item unanswered."""
    ids = {
        "hyper": ["hyper-on-edge", "hyper-racing", "hyper-reactive", "hyper-slow-down"],
        "hypo": ["hypo-numb", "hypo-outside", "hypo-shut-down", "hypo-present"],
        "ventral": ["ventral-settled", "ventral-enjoy-people", "ventral-clear", "ventral-curious"],
        "close": ["close-safe", "close-comfort", "close-overwhelming", "close-pull-away"],
    }
    given = {"hyper": hyper, "hypo": hypo, "ventral": ventral, "close": close}
    return {i: a for k in ids for i, a in zip(ids[k], given[k], strict=True) if a >= 0}


def conn(
    lonely: list[int], isolated: list[int], coreg: list[int], safe: list[int]
) -> dict[str, int]:
    """Connection answers, in item order per scale; -1 leaves an item unanswered."""
    ids = {
        "lonely": ["lonely-among-others", "lonely-not-known", "lonely-close"],
        "isolated": ["isolated-contact", "isolated-whole-days", "isolated-someone-to-call"],
        "coreg": ["coreg-presence", "coreg-voice", "coreg-on-my-own"],
        "safe": ["safe-be-myself", "safe-on-guard", "safe-repair"],
    }
    given = {"lonely": lonely, "isolated": isolated, "coreg": coreg, "safe": safe}
    return {i: a for k in ids for i, a in zip(ids[k], given[k], strict=True) if a >= 0}


def djg(*answers: int) -> dict[str, int]:
    """De Jong Gierveld answers (1 yes, 2 more or less, 3 no) in item order; -1 skips one.

    Order: emptiness (E), rely-on (S), trust-completely (S), miss-people-around (E),
    feel-close-to (S), feel-rejected (E). E scores 1 for yes/more or less; S for no/more or less.
    """
    ids = [
        "emptiness",
        "rely-on",
        "trust-completely",
        "miss-people-around",
        "feel-close-to",
        "feel-rejected",
    ]
    return {i: a for i, a in zip(ids, answers, strict=True) if a >= 0}


def hughes(*answers: int) -> dict[str, int]:
    """Three-item loneliness answers (1 hardly ever, 2 some of the time, 3 often); -1 skips."""
    ids = ["lack-companionship", "left-out", "isolated"]
    return {i: a for i, a in zip(ids, answers, strict=True) if a >= 0}


WOT = "window-of-tolerance"
CONN = "connection"
NONE: tuple[None, None] = (None, None)

# Window of tolerance: 4 items per scale, 0-4 each, reversed = 4 - answer; bands low 0-5,
# moderate 6-10, high 11-16; min_answered 0.75, so one missing item is prorated (x 4/3).
WINDOW = [
    Case(
        "within the window",
        WOT,
        # hyper: 1+1+1+(4-3) = 4 low; hypo: 1+0+1+(4-3) = 3 low; ventral: 3+3+2+3 = 11 high;
        # closeness: 3+3+(4-1)+(4-0) = 13 high -> neither high, ventral high: within-window
        wot([1, 1, 1, 3], [1, 0, 1, 3], [3, 3, 2, 3], [3, 3, 1, 0]),
        {
            "hyperarousal": (4, "low"),
            "hypoarousal": (3, "low"),
            "ventral-regulation": (11, "high"),
            "closeness-capacity": (13, "high"),
        },
        "within-window",
    ),
    Case(
        "above the window, little settling",
        WOT,
        # hyper: 4+3+4+(4-0) = 15 high; hypo: 1+1+1+(4-2) = 5 low; ventral: 1+1+1+1 = 4 low;
        # closeness: 2+2+(4-2)+(4-2) = 8 moderate -> above-window; hyper high + ventral low: flag
        wot([4, 3, 4, 0], [1, 1, 1, 2], [1, 1, 1, 1], [2, 2, 2, 2]),
        {
            "hyperarousal": (15, "high"),
            "hypoarousal": (5, "low"),
            "ventral-regulation": (4, "low"),
            "closeness-capacity": (8, "moderate"),
        },
        "above-window",
        ["high-distress-low-support"],
    ),
    Case(
        "swinging",
        WOT,
        # hyper: 3+3+3+(4-1) = 12 high; hypo: 3+3+3+(4-1) = 12 high; ventral: 2*4 = 8 moderate;
        # closeness: 1+1+(4-3)+(4-3) = 4 low -> swinging; ventral not low: no flag
        wot([3, 3, 3, 1], [3, 3, 3, 1], [2, 2, 2, 2], [1, 1, 3, 3]),
        {
            "hyperarousal": (12, "high"),
            "hypoarousal": (12, "high"),
            "ventral-regulation": (8, "moderate"),
            "closeness-capacity": (4, "low"),
        },
        "swinging",
    ),
    Case(
        "below the window",
        WOT,
        # hyper: 0+0+0+(4-4) = 0 low; hypo: 4+4+3+(4-0) = 15 high; ventral: 0+1+0+0 = 1 low;
        # closeness: 0+0+(4-4)+(4-4) = 0 low -> below-window; hypo high + ventral low: flag
        wot([0, 0, 0, 4], [4, 4, 3, 0], [0, 1, 0, 0], [0, 0, 4, 4]),
        {
            "hyperarousal": (0, "low"),
            "hypoarousal": (15, "high"),
            "ventral-regulation": (1, "low"),
            "closeness-capacity": (0, "low"),
        },
        "below-window",
        ["high-distress-low-support"],
    ),
    Case(
        "both moderate, ventral moderate: the tie-breaker says near the edges",
        WOT,
        # hyper: 2+2+2+(4-2) = 8; hypo: 2+2+2+(4-2) = 8; ventral: 8; closeness: 2+2+2+2 = 8,
        # all moderate -> near-the-edges (ventral not high)
        wot([2, 2, 2, 2], [2, 2, 2, 2], [2, 2, 2, 2], [2, 2, 2, 2]),
        {
            "hyperarousal": (8, "moderate"),
            "hypoarousal": (8, "moderate"),
            "ventral-regulation": (8, "moderate"),
            "closeness-capacity": (8, "moderate"),
        },
        "near-the-edges",
    ),
    Case(
        "both moderate, ventral high: the tie-breaker says within",
        WOT,
        # hyper 8 moderate, hypo 8 moderate (as above); ventral: 3+3+3+3 = 12 high -> within-window
        wot([2, 2, 2, 2], [2, 2, 2, 2], [3, 3, 3, 3], [2, 2, 2, 2]),
        {
            "hyperarousal": (8, "moderate"),
            "hypoarousal": (8, "moderate"),
            "ventral-regulation": (12, "high"),
            "closeness-capacity": (8, "moderate"),
        },
        "within-window",
    ),
    Case(
        "low activation, little settling: the catch-all",
        WOT,
        # hyper: 1+0+0+(4-4) = 1 low; hypo: 1+1+0+(4-4) = 2 low; ventral: 1*4 = 4 low;
        # closeness: 2+2+(4-2)+(4-2) = 8 -> no rule but the last: in-between; nothing high: no flag
        wot([1, 0, 0, 4], [1, 1, 0, 4], [1, 1, 1, 1], [2, 2, 2, 2]),
        {
            "hyperarousal": (1, "low"),
            "hypoarousal": (2, "low"),
            "ventral-regulation": (4, "low"),
            "closeness-capacity": (8, "moderate"),
        },
        "in-between",
    ),
    Case(
        "one item missing on two scales is prorated",
        WOT,
        # hyper: 4+4+3 = 11 of 3/4 answered (>= 0.75) -> 11*4/3 = 14.67 -> 15 high;
        # hypo: 0+0+0+(4-4) = 0 low; ventral: 2+2+1 = 5 -> 5*4/3 = 6.67 -> 7 moderate;
        # closeness: 4+4+(4-0)+(4-0) = 16 high -> above-window; ventral not low: no flag
        wot([4, 4, 3, -1], [0, 0, 0, 4], [2, 2, -1, 1], [4, 4, 0, 0]),
        {
            "hyperarousal": (15, "high"),
            "hypoarousal": (0, "low"),
            "ventral-regulation": (7, "moderate"),
            "closeness-capacity": (16, "high"),
        },
        "above-window",
    ),
    Case(
        "prorating after reversing",
        WOT,
        # hyper: 2+(missing)+1+(4-0) = 7 -> 7*4/3 = 9.33 -> 9 moderate; hypo: 1+1+1+(4-4) = 3 low;
        # ventral: 3+3+3+3 = 12 high; closeness: 3+3+(4-1)+(missing) = 9 -> 12 high -> within
        wot([2, -1, 1, 0], [1, 1, 1, 4], [3, 3, 3, 3], [3, 3, 1, -1]),
        {
            "hyperarousal": (9, "moderate"),
            "hypoarousal": (3, "low"),
            "ventral-regulation": (12, "high"),
            "closeness-capacity": (12, "high"),
        },
        "within-window",
    ),
    Case(
        "too few answers: no overall pattern, but the flag still speaks",
        WOT,
        # hyper: 4+4+4+(4-0) = 16 high; hypo: 2 of 4 answered (0.5 < 0.75) -> insufficient;
        # ventral: 0 low; closeness: nothing answered -> insufficient -> profile incomplete;
        # flag: any(hyper high, hypo high) and ventral low -> raised
        wot([4, 4, 4, 0], [4, 4, -1, -1], [0, 0, 0, 0], [-1, -1, -1, -1]),
        {
            "hyperarousal": (16, "high"),
            "hypoarousal": NONE,
            "ventral-regulation": (0, "low"),
            "closeness-capacity": NONE,
        },
        "incomplete",
        ["high-distress-low-support"],
    ),
    Case(
        "no answers at all",
        WOT,
        {},
        {
            "hyperarousal": NONE,
            "hypoarousal": NONE,
            "ventral-regulation": NONE,
            "closeness-capacity": NONE,
        },
        "incomplete",
    ),
]

# Connection: 3 items per scale, 0-4 each, reversed = 4 - answer; bands low 0-4, moderate
# 5-8, high 9-12; min_answered 0.66, so 2 of 3 answers are prorated (x 3/2).
CONNECTION = [
    Case(
        "connected",
        CONN,
        # lonely: 0+1+(4-4) = 1 low; isolation: (4-4)+0+(4-4) = 0 low;
        # co-regulation: 4+4+(4-0) = 12 high; safety: 4+(4-0)+3 = 11 high -> connected
        conn([0, 1, 4], [4, 0, 4], [4, 4, 0], [4, 0, 3]),
        {
            "loneliness": (1, "low"),
            "isolation": (0, "low"),
            "co-regulation": (12, "high"),
            "relational-safety": (11, "high"),
        },
        "connected",
    ),
    Case(
        "lonely and isolated with little calming company",
        CONN,
        # lonely: 4+3+(4-0) = 11 high; isolation: (4-0)+3+(4-1) = 10 high;
        # co-regulation: 0+1+(4-4) = 1 low; safety: 1+(4-3)+1 = 3 low -> flag raised
        conn([4, 3, 0], [0, 3, 1], [0, 1, 4], [1, 3, 1]),
        {
            "loneliness": (11, "high"),
            "isolation": (10, "high"),
            "co-regulation": (1, "low"),
            "relational-safety": (3, "low"),
        },
        "lonely-and-isolated",
        ["lonely-isolated-low-coregulation"],
    ),
    Case(
        "lonely, though not isolated",
        CONN,
        # lonely: 3+3+(4-1) = 9 high; isolation: (4-3)+0+(4-3) = 2 low;
        # co-regulation: 2+2+(4-2) = 6 moderate; safety: 2+(4-2)+2 = 6 moderate
        conn([3, 3, 1], [3, 0, 3], [2, 2, 2], [2, 2, 2]),
        {
            "loneliness": (9, "high"),
            "isolation": (2, "low"),
            "co-regulation": (6, "moderate"),
            "relational-safety": (6, "moderate"),
        },
        "lonely-not-isolated",
    ),
    Case(
        "isolated, though not lonely",
        CONN,
        # lonely: 1+1+(4-3) = 3 low; isolation: (4-0)+4+(4-2) = 10 high;
        # co-regulation: 3+3+(4-1) = 9 high; safety: 3+(4-1)+3 = 9 high
        conn([1, 1, 3], [0, 4, 2], [3, 3, 1], [3, 1, 3]),
        {
            "loneliness": (3, "low"),
            "isolation": (10, "high"),
            "co-regulation": (9, "high"),
            "relational-safety": (9, "high"),
        },
        "isolated-not-lonely",
    ),
    Case(
        "in between",
        CONN,
        # every scale: 2+2+(4-2) = 6 moderate -> only the catch-all matches
        conn([2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2]),
        {
            "loneliness": (6, "moderate"),
            "isolation": (6, "moderate"),
            "co-regulation": (6, "moderate"),
            "relational-safety": (6, "moderate"),
        },
        "in-between",
    ),
    Case(
        "prorating rounds half up",
        CONN,
        # lonely: 2+1 = 3 of 2/3 answered (0.67 >= 0.66) -> 3*3/2 = 4.5 -> 5 (half up) moderate;
        # isolation: (4-4)+1 = 1 -> 1.5 -> 2 low; co-regulation: none answered -> insufficient;
        # safety: 1 of 3 (0.33 < 0.66) -> insufficient -> in-between; no flag (co-reg unknown)
        conn([2, 1, -1], [4, 1, -1], [-1, -1, -1], [4, -1, -1]),
        {
            "loneliness": (5, "moderate"),
            "isolation": (2, "low"),
            "co-regulation": NONE,
            "relational-safety": NONE,
        },
        "in-between",
    ),
    Case(
        "loneliness unknown: no overall pattern",
        CONN,
        # lonely: 1 of 3 answered -> insufficient -> incomplete; isolation: (4-0)+4+(4-0) = 12
        conn([4, -1, -1], [0, 4, 0], [0, 0, 4], [0, 4, 0]),
        {
            "loneliness": NONE,
            "isolation": (12, "high"),
            "co-regulation": (0, "low"),
            "relational-safety": (0, "low"),
        },
        "incomplete",
    ),
]

# Three-Item Loneliness Scale: 1-3 per item, total 3-9; lower 3-5, higher 6-9; no prorating.
THREE_ITEM = [
    Case(
        "all hardly ever",
        "three-item-loneliness",
        hughes(1, 1, 1),  # 1+1+1 = 3
        {"loneliness": (3, "lower")},
        None,
    ),
    Case(
        "just below the cut-off",
        "three-item-loneliness",
        hughes(2, 2, 1),  # 2+2+1 = 5
        {"loneliness": (5, "lower")},
        None,
    ),
    Case(
        "at the cut-off",
        "three-item-loneliness",
        hughes(2, 2, 2),  # 2+2+2 = 6
        {"loneliness": (6, "higher")},
        None,
    ),
    Case(
        "all often",
        "three-item-loneliness",
        hughes(3, 3, 3),  # 3+3+3 = 9
        {"loneliness": (9, "higher")},
        None,
    ),
    Case(
        "one missing is never prorated",
        "three-item-loneliness",
        hughes(3, 3, -1),
        {"loneliness": NONE},
        None,
    ),
]

# De Jong Gierveld 6: emotional {yes 1, more or less 1, no 0}, social {yes 0, more or less 1,
# no 1}; emotional and social 0 not-lonely, 1-3 lonely; total 0-1 / 2-4 / 5-6; no prorating.
DE_JONG = [
    Case(
        "not lonely",
        "de-jong-gierveld-6",
        # E: no, no, no -> 0; S: yes, yes, yes -> 0; total 0
        djg(3, 1, 1, 3, 1, 3),
        {"emotional": (0, "not-lonely"), "social": (0, "not-lonely"), "total": (0, "not-lonely")},
        None,
    ),
    Case(
        "one 'more or less' is still not lonely overall",
        "de-jong-gierveld-6",
        # E: emptiness more or less -> 1, miss no -> 0, rejected no -> 0 = 1; S: 0; total 1
        djg(2, 1, 1, 3, 1, 3),
        {"emotional": (1, "lonely"), "social": (0, "not-lonely"), "total": (1, "not-lonely")},
        None,
    ),
    Case(
        "moderately lonely from the lowest score",
        "de-jong-gierveld-6",
        # E: emptiness yes -> 1, others no -> 0 = 1; S: close more or less -> 1 = 1; total 2
        djg(1, 1, 1, 3, 2, 3),
        {"emotional": (1, "lonely"), "social": (1, "lonely"), "total": (2, "moderately-lonely")},
        None,
    ),
    Case(
        "moderately lonely",
        "de-jong-gierveld-6",
        # E: yes 1 + more or less 1 + no 0 = 2; S: rely yes 0 + trust more or less 1 +
        # close no 1 = 2; total 4
        djg(1, 1, 2, 2, 3, 3),
        {"emotional": (2, "lonely"), "social": (2, "lonely"), "total": (4, "moderately-lonely")},
        None,
    ),
    Case(
        "severely lonely",
        "de-jong-gierveld-6",
        # E: yes, yes, yes -> 3; S: rely no 1 + trust more or less 1 + close yes 0 = 2; total 5
        djg(1, 3, 2, 1, 1, 1),
        {"emotional": (3, "lonely"), "social": (2, "lonely"), "total": (5, "severely-lonely")},
        None,
    ),
    Case(
        "the highest score",
        "de-jong-gierveld-6",
        # E: more or less x3 -> 3; S: no x3 -> 3; total 6
        djg(2, 3, 3, 2, 3, 2),
        {"emotional": (3, "lonely"), "social": (3, "lonely"), "total": (6, "severely-lonely")},
        None,
    ),
    Case(
        "a missing emotional item leaves emotional and total unscored",
        "de-jong-gierveld-6",
        # rejected missing -> emotional insufficient, total insufficient; S: 1+1+1 = 3
        djg(1, 3, 3, 1, 3, -1),
        {"emotional": NONE, "social": (3, "lonely"), "total": NONE},
        None,
    ),
]

CASES = WINDOW + CONNECTION + THREE_ITEM + DE_JONG


@pytest.mark.parametrize("case", CASES, ids=[f"{c.questionnaire}: {c.name}" for c in CASES])
def test_builtin_scores(case: Case) -> None:
    result = score(definition(case.questionnaire), case.answers)
    assert [s.id for s in result.scales] == list(case.scales)
    for scale_id, (expected_score, expected_band) in case.scales.items():
        scored = result.scale(scale_id)
        status = "insufficient" if expected_score is None else "scored"
        assert (scored.status, scored.score, scored.band) == (
            status,
            expected_score,
            expected_band,
        ), scale_id
    assert result.profile == case.profile
    assert result.flags == case.flags


def test_every_profile_and_flag_is_reached() -> None:
    """The table above exercises every rule of the shipped questionnaires."""
    for questionnaire_id in {c.questionnaire for c in CASES}:
        rules = definition(questionnaire_id)
        cases = [c for c in CASES if c.questionnaire == questionnaire_id]
        assert {p.id for p in rules.profiles} == {c.profile for c in cases} - {None}
        assert {f.id for f in rules.flags} == {f for c in cases for f in c.flags}
