"""Score a set of answers against a questionnaire definition, with a trace of every step.

The rules are those of CONTENT.md §3, stated in the definition and repeated in the trace so a
person can check each number by hand. Pure: no I/O, no clock, no environment, no state.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.questionnaires.model import Definition, Item
from app.scoring.conditions import describe, evaluate
from app.scoring.result import ScaleScore, ScoreResult, TraceStep, TraceValue
from app.scoring.scales import score_scale

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
