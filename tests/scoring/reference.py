"""The scoring engine as it was before it was compiled into plans (engine 1.1.0, December 2026).

Kept verbatim, in one module that imports nothing from `app.scoring` but the result models, as
the oracle of tests/scoring/test_reference.py: the compiled engine must give byte-identical
results, traces and errors for every input. It walks the definition on every call, which is
why it was slow (~113 µs for window-of-tolerance); it is not used by the application.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from app.questionnaires.model import (
    AllOf,
    Always,
    AnyOf,
    BandIn,
    Compare,
    Condition,
    Definition,
    Insufficient,
    Item,
    Not,
    Scale,
    round_half_up,
)
from app.scoring.result import ScaleScore, ScoreResult, TraceStep, TraceValue

#: Bump on any change to what a score is (a rule, rounding, banding, profile or flag logic),
#: so that every stored result can say which rules produced it and be recomputed.
#: 1.1.0 added `max_missing` and not-applicable answers; 1.0.0 definitions score as before.
ENGINE_VERSION = "1.1.0"

Problem = tuple[str, str]


class AnswerProblem(ValueError):
    """Answers that cannot be scored: each problem names the item (or field) and what is wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{where}: {message}" for where, message in problems))


def check_answers(definition: Definition, answers: Mapping[str, object]) -> list[Problem]:
    """Every problem with a (possibly partial) set of answers; an empty list means none."""
    return _problems(definition, _index(definition), answers)


def _index(definition: Definition) -> dict[str, Item]:
    # A plain dict: `Definition.item` goes through pydantic's slow private-attribute access.
    return {item.id: item for item in definition.items}


def _problems(
    definition: Definition, items: Mapping[str, Item], answers: Mapping[str, object]
) -> list[Problem]:
    problems: list[Problem] = []
    for item_id, value in answers.items():
        item = items.get(item_id)
        if item is None:
            problems.append((item_id, f"no such item in {definition.key}"))
        # bool is a subclass of int, but `true` is not an answer to a frequency question.
        elif not isinstance(value, int) or isinstance(value, bool):
            problems.append((item_id, f"must be a whole number, not {type(value).__name__}"))
        elif value not in (allowed := definition.response_scales[item.scale].values):
            listed = ", ".join(str(v) for v in allowed)
            problems.append((item_id, f"{value} is not an allowed answer (allowed: {listed})"))
    return problems


def score(
    definition: Definition,
    answers: Mapping[str, int],
    *,
    definition_hash: str | None = None,
) -> ScoreResult:
    """Score answers against a definition (AnswerProblem if any answer is invalid)."""
    items = _index(definition)
    problems = _problems(definition, items, answers)
    if problems:
        raise AnswerProblem(problems)
    trace: list[TraceStep] = []
    item_scores = _item_scores(definition, answers, trace)
    scales = [score_scale(definition, s, items, item_scores, trace) for s in definition.scales]
    by_id = {s.id: s for s in scales}
    return ScoreResult(
        questionnaire_id=definition.id,
        questionnaire_version=definition.version,
        # Hashing the whole definition costs more than scoring it: callers pass a cached hash.
        definition_hash=definition.content_hash() if definition_hash is None else definition_hash,
        engine_version=ENGINE_VERSION,
        scales=scales,
        profile=_profile(definition, by_id, trace),
        flags=_flags(definition, by_id, trace),
        trace=trace,
    )


# --- items ------------------------------------------------------------------------------------


def _item_scores(
    definition: Definition, answers: Mapping[str, int], trace: list[TraceStep]
) -> dict[str, int]:
    """Each answered item's score, with a trace step for every reversed or recoded one."""
    scores: dict[str, int] = {}
    for item in definition.items:
        if item.id not in answers:
            continue
        answer = answers[item.id]
        if answer in definition.response_scales[item.scale].not_applicable:
            # A real answer ("no one was close to me") that the item cannot score: missing.
            trace.append(
                TraceStep(
                    rule="item",
                    target=item.id,
                    detail=f"{item.id}: answer {answer} is 'not applicable', counted as missing",
                    data={"answer": answer, "score": None, "not_applicable": True},
                )
            )
            continue
        if item.reverse:
            scores[item.id] = _reversed(definition, item, answer, trace)
        elif item.recode is not None:
            scores[item.id] = item.recode[answer]
            trace.append(
                TraceStep(
                    rule="item",
                    target=item.id,
                    detail=f"{item.id} is recoded: answer {answer} scores {scores[item.id]}",
                    data={"answer": answer, "score": scores[item.id]},
                )
            )
        else:
            scores[item.id] = answer
    return scores


def _reversed(definition: Definition, item: Item, answer: int, trace: list[TraceStep]) -> int:
    response = definition.response_scales[item.scale]
    low, high = response.min, response.max
    value = (low + high) - answer
    trace.append(
        TraceStep(
            rule="item",
            target=item.id,
            detail=f"{item.id} is reverse-keyed: ({low} + {high}) - {answer} = {value}",
            data={"answer": answer, "min": low, "max": high, "score": value},
        )
    )
    return value


# --- profiles and flags -----------------------------------------------------------------------


def _profile(
    definition: Definition, scales: Mapping[str, ScaleScore], trace: list[TraceStep]
) -> str | None:
    """The first profile whose condition holds; the trace names the earlier ones that did not."""
    passed: list[str] = []
    for rule in definition.profiles:
        if evaluate(rule.when, scales):
            earlier = f"; earlier rules did not match: {', '.join(passed)}" if passed else ""
            detail = f"profile {rule.id} matched: {describe(rule.when)}{earlier}"
            data: dict[str, TraceValue] = {"profile": rule.id, "not_matched": passed}
            trace.append(TraceStep(rule="profile", target=rule.id, detail=detail, data=data))
            return rule.id
        passed.append(rule.id)
    if passed:
        detail = f"no profile rule matched (checked: {', '.join(passed)})"
        data = {"profile": None, "not_matched": passed}
        trace.append(TraceStep(rule="profile", target=definition.id, detail=detail, data=data))
    return None


def _flags(
    definition: Definition, scales: Mapping[str, ScaleScore], trace: list[TraceStep]
) -> list[str]:
    """Every flag whose condition holds, in the definition's order."""
    fired: list[str] = []
    for rule in definition.flags:
        if evaluate(rule.when, scales):
            fired.append(rule.id)
            detail = f"flag {rule.id} raised: {describe(rule.when)}"
            trace.append(TraceStep(rule="flag", target=rule.id, detail=detail, data={}))
    return fired


# The multiplication sign reads better than "*" for the lay reader of a trace.
_TIMES = "\u00d7"


@dataclass(frozen=True, slots=True)
class _Tally:
    """The answered part of one scale."""

    answered: int
    total: int
    missing: list[str]
    raw: float

    @property
    def mean(self) -> float:
        """The answered items' mean (0 when none is answered; reported as None then)."""
        return self.raw / self.answered if self.answered else 0.0


def score_scale(
    definition: Definition,
    scale: Scale,
    items: Mapping[str, Item],
    item_scores: Mapping[str, int],
    trace: list[TraceStep],
) -> ScaleScore:
    """One scale's score, or the reason it has none, with its steps appended to `trace`.

    `items` indexes the definition's items by id; `item_scores` holds the answered ones' scores.
    """
    tally = _tally(scale, item_scores)
    low, high = _limits(definition, scale, items)
    if _is_insufficient(scale, tally, trace):
        return _scale_score(scale, tally, (low, high), None, None)
    trace.append(_method_step(scale, tally))
    value = tally.raw if scale.method == "sum" else tally.mean
    if scale.method == "sum" and tally.missing and scale.prorate:
        value = _prorate(scale, tally, trace)
    elif scale.method == "sum" and tally.missing:
        trace.append(_unprorated_step(scale, tally))
    value = _clamp(scale, value, low, high, trace)
    rounded = _round(scale, value, trace)
    return _scale_score(scale, tally, (low, high), rounded, _band(scale, rounded, trace))


def _scale_score(
    scale: Scale,
    tally: _Tally,
    limits: tuple[float, float],
    rounded: Decimal | None,
    band: str | None,
) -> ScaleScore:
    any_answer = tally.answered > 0
    return ScaleScore(
        id=scale.id,
        concept=scale.concept,
        method=scale.method,
        status="insufficient" if rounded is None else "scored",
        answered=tally.answered,
        total=tally.total,
        missing=tally.missing,
        raw=tally.raw if any_answer else None,
        mean=tally.mean if any_answer else None,
        score=None if rounded is None else float(rounded),
        min=limits[0],
        max=limits[1],
        band=band,
    )


def _limits(definition: Definition, scale: Scale, items: Mapping[str, Item]) -> tuple[float, float]:
    """`Definition.score_range`, the same arithmetic with items from the caller's plain dict.

    `Definition.item` reads a pydantic private attribute, slow enough to cost a quarter of the
    scoring time; the property tests hold the two equal.
    """
    ranges = [definition.item_score_range(items[i]) for i in scale.items]
    low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    if scale.method == "mean":
        return low / len(ranges), high / len(ranges)
    return float(low), float(high)


def _tally(scale: Scale, item_scores: Mapping[str, int]) -> _Tally:
    present = [item_scores[i] for i in scale.items if i in item_scores]
    missing = [i for i in scale.items if i not in item_scores]
    return _Tally(len(present), len(scale.items), missing, float(sum(present)))


def _is_insufficient(scale: Scale, tally: _Tally, trace: list[TraceStep]) -> bool:
    """Whether too few items are answered; says why in the trace when so."""
    share = tally.answered / tally.total
    # Compare the share itself, not `answered >= total * min_answered`: a division is rounded
    # to the float nearest the exact fraction, as the literal is, so 7 / 25 is the same float
    # as 0.28, whereas 25 * 0.28 is 7.000000000000001 and would wrongly fail 7 of 25.
    if scale.max_missing is not None:
        if len(tally.missing) <= scale.max_missing:
            return False
        why = f"more than the {scale.max_missing} missing item(s) this scale allows"
    elif share < scale.min_answered:
        why = f"below the required {format_number(scale.min_answered * 100)} %"
    elif not scale.prorate and tally.missing:
        why = "and this scale is not prorated, so every item must be answered"
    else:
        return False
    trace.append(
        TraceStep(
            rule="insufficient",
            target=scale.id,
            detail=f"{tally.answered} of {tally.total} answered, {why}",
            data={
                "answered": tally.answered,
                "total": tally.total,
                "min_answered": scale.min_answered,
                "prorate": scale.prorate,
                "max_missing": scale.max_missing,
                "missing": tally.missing,
            },
        )
    )
    return True


def _method_step(scale: Scale, tally: _Tally) -> TraceStep:
    raw, mean, n = tally.raw, tally.mean, tally.answered
    if scale.method == "sum":
        detail = f"sum of {n} answered items = {format_number(raw)}"
    else:
        detail = f"mean of {n} answered items = {format_number(raw)} / {n} = {format_number(mean)}"
    return TraceStep(
        rule="scale",
        target=scale.id,
        detail=detail,
        data={"method": scale.method, "answered": n, "raw": raw, "mean": mean},
    )


def _unprorated_step(scale: Scale, tally: _Tally) -> TraceStep:
    """Say that a sum with missing items is kept as it is (``max_missing`` without prorating)."""
    return TraceStep(
        rule="prorate",
        target=scale.id,
        detail=(
            f"{tally.answered} of {tally.total} answered; this scale is not prorated, so the "
            f"score is the sum of the answered items, {format_number(tally.raw)}"
        ),
        data={
            "raw": tally.raw,
            "answered": tally.answered,
            "total": tally.total,
            "prorated": None,
        },
    )


def _prorate(scale: Scale, tally: _Tally, trace: list[TraceStep]) -> float:
    raw, total, n = tally.raw, tally.total, tally.answered
    value = raw * total / n
    trace.append(
        TraceStep(
            rule="prorate",
            target=scale.id,
            detail=(
                f"{n} of {total} answered: {format_number(raw)} {_TIMES} {total} / {n} "
                f"= {format_number(value)}"
            ),
            data={"raw": raw, "answered": n, "total": total, "prorated": value},
        )
    )
    return value


def _clamp(scale: Scale, value: float, low: float, high: float, trace: list[TraceStep]) -> float:
    """Keep a score in its possible range.

    Only reachable when a scale mixes items with different ranges: prorating (or a mean of the
    answered items) can then overshoot what a full set of answers could ever reach.
    """
    bounded = min(max(value, low), high)
    if bounded != value:
        trace.append(
            TraceStep(
                rule="scale",
                target=scale.id,
                detail=(
                    f"{format_number(value)} is outside the possible range "
                    f"[{format_number(low)}, {format_number(high)}], so it is taken as "
                    f"{format_number(bounded)}"
                ),
                data={"value": value, "min": low, "max": high, "score": bounded},
            )
        )
    return bounded


def _round(scale: Scale, value: float, trace: list[TraceStep]) -> Decimal:
    rounded = round_half_up(value, scale.precision)
    if float(rounded) != value:
        trace.append(
            TraceStep(
                rule="round",
                target=scale.id,
                detail=(
                    f"{format_number(value)} rounded half up to {scale.precision} "
                    f"decimal(s) = {rounded}"
                ),
                data={"value": value, "precision": scale.precision, "score": float(rounded)},
            )
        )
    return rounded


def _band(scale: Scale, rounded: Decimal, trace: list[TraceStep]) -> str | None:
    """The band holding the score, compared on the rounding grid as the model checks tiling."""
    value = float(rounded)
    for band in scale.bands:
        if _on_grid(band.min, scale.precision) <= value <= _on_grid(band.max, scale.precision):
            trace.append(
                TraceStep(
                    rule="band",
                    target=scale.id,
                    detail=(
                        f"score {format_number(value)} is in band {band.id} "
                        f"[{format_number(band.min)}, {format_number(band.max)}]"
                    ),
                    data={
                        "score": value,
                        "band": band.id,
                        "min": band.min,
                        "max": band.max,
                    },
                )
            )
            return band.id
    if scale.bands:
        # The model guarantees bands tile the range; reaching here is a bug, not bad input.
        raise RuntimeError(f"scale {scale.id}: no band holds the score {rounded}")
    return None


def _on_grid(bound: float, precision: int) -> float:
    """A band bound rounded half up to the scale's grid, as the model rounds it to check tiling.

    Bounds are nearly always written on the grid already, and then the fast float `round`
    proves it: a float equal to its rounding at `precision` has no more decimals than that.
    """
    if round(bound, precision) == bound:
        return bound
    return float(round_half_up(bound, precision))


_OPERATORS: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {
        "<": operator.lt,
        "<=": operator.le,
        "==": operator.eq,
        "!=": operator.ne,
        ">=": operator.ge,
        ">": operator.gt,
    }
)


def evaluate(condition: Condition, scales: Mapping[str, ScaleScore]) -> bool:
    """Whether a condition holds for these scale scores."""
    if isinstance(condition, AllOf):
        return all(evaluate(c, scales) for c in condition.all)
    if isinstance(condition, AnyOf):
        return any(evaluate(c, scales) for c in condition.any)
    if isinstance(condition, Not):
        return not evaluate(condition.not_, scales)
    if isinstance(condition, BandIn):
        # An insufficient scale has no band, so no band test can be true of it.
        scale = scales[condition.scale]
        return scale.status == "scored" and scale.band in condition.band
    if isinstance(condition, Compare):
        # Never compare a guess: an unscored scale fails every comparison, even `!=`.
        scale = scales[condition.scale]
        if scale.status != "scored" or scale.score is None:
            return False
        return _OPERATORS[condition.op](scale.score, condition.value)
    if isinstance(condition, Insufficient):
        return scales[condition.insufficient].status == "insufficient"
    return isinstance(condition, Always)


def describe(condition: Condition) -> str:
    """The condition in plain English, for the trace."""
    if isinstance(condition, AllOf):
        return " and ".join(_operand(c) for c in condition.all)
    if isinstance(condition, AnyOf):
        return " or ".join(_operand(c) for c in condition.any)
    if isinstance(condition, Not):
        return f"not ({describe(condition.not_)})"
    if isinstance(condition, BandIn):
        return f"{condition.scale} band is {' or '.join(condition.band)}"
    if isinstance(condition, Compare):
        return f"{condition.scale} score {condition.op} {format_number(condition.value)}"
    if isinstance(condition, Insufficient):
        return f"{condition.insufficient} has too few answers to be scored"
    return "always"


def format_number(value: float) -> str:
    """A number as a person would write it: 12 rather than 12.0, at most four decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _operand(condition: Condition) -> str:
    """Describe a part of an and/or, in brackets when it is itself a several-part and/or."""
    text = describe(condition)
    if isinstance(condition, AllOf) and len(condition.all) > 1:
        return f"({text})"
    if isinstance(condition, AnyOf) and len(condition.any) > 1:
        return f"({text})"
    return text
