"""Score a set of answers against a questionnaire definition, with a trace of every step.

The rules are those of CONTENT.md §3, stated in the definition and repeated in the trace so a
person can check each number by hand. Pure: no I/O, no clock, no environment, no state.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.questionnaires.model import Definition
from app.scoring.plan import Plan, plan_for
from app.scoring.result import ScaleScore, ScoreResult, TraceStep, score_result
from app.scoring.scales import score_scale

#: Bump on any change to what a score is (a rule, rounding, banding, profile or flag logic),
#: so that every stored result can say which rules produced it and be recomputed.
#: 1.1.0 added `max_missing` and not-applicable answers; 1.0.0 definitions score as before.
#: (Compiling definitions into plans changed no score, trace or feedback: still 1.1.0.)
ENGINE_VERSION = "1.1.0"

Problem = tuple[str, str]


class AnswerProblem(ValueError):
    """Answers that cannot be scored: each problem names the item (or field) and what is wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{where}: {message}" for where, message in problems))


def check_answers(definition: Definition, answers: Mapping[str, object]) -> list[Problem]:
    """Every problem with a (possibly partial) set of answers; an empty list means none."""
    return _problems(plan_for(definition), answers)


def _problems(plan: Plan, answers: Mapping[str, object]) -> list[Problem]:
    problems: list[Problem] = []
    items = plan.by_id
    for item_id, value in answers.items():
        item = items.get(item_id)
        if item is None:
            problems.append((item_id, f"no such item in {plan.key}"))
        # bool is a subclass of int, but `true` is not an answer to a frequency question.
        elif not isinstance(value, int) or isinstance(value, bool):
            problems.append((item_id, f"must be a whole number, not {type(value).__name__}"))
        elif value not in item.allowed:
            problems.append((item_id, f"{value} is not an allowed answer (allowed: {item.listed})"))
    return problems


def score(
    definition: Definition,
    answers: Mapping[str, int],
    *,
    definition_hash: str | None = None,
) -> ScoreResult:
    """Score answers against a definition (AnswerProblem if any answer is invalid)."""
    plan = plan_for(definition)
    problems = _problems(plan, answers)
    if problems:
        raise AnswerProblem(problems)
    trace: list[TraceStep] = []
    item_scores = _item_scores(plan, answers, trace)
    scales = [score_scale(s, item_scores, trace) for s in plan.scales]
    by_id = {s.id: s for s in scales}
    return score_result(
        {
            "questionnaire_id": definition.id,
            "questionnaire_version": definition.version,
            # Hashing the whole definition costs more than scoring it: callers pass a cached
            # hash, and the plan keeps the one it computed.
            "definition_hash": plan.definition_hash()
            if definition_hash is None
            else definition_hash,
            "engine_version": ENGINE_VERSION,
            "scales": scales,
            "profile": _profile(plan, by_id, trace),
            "flags": _flags(plan, by_id, trace),
            "trace": trace,
        }
    )


# --- items ------------------------------------------------------------------------------------


def _item_scores(plan: Plan, answers: Mapping[str, int], trace: list[TraceStep]) -> dict[str, int]:
    """Each answered item's score, with a trace step for every reversed or recoded one."""
    scores: dict[str, int] = {}
    for item_id in plan.plain:
        answer = answers.get(item_id)
        if answer is not None:
            scores[item_id] = answer
    for item in plan.keyed:
        answer = answers.get(item.id)
        if answer is None:
            continue
        value, step = item.keyed[answer]
        if step is not None:
            trace.append(step)
        if value is not None:
            scores[item.id] = value
    return scores


# --- profiles and flags -----------------------------------------------------------------------


def _profile(plan: Plan, scales: Mapping[str, ScaleScore], trace: list[TraceStep]) -> str | None:
    """The first profile whose condition holds; the trace names the earlier ones that did not."""
    for rule in plan.profiles:
        if rule.test(scales):
            trace.append(rule.step)
            return rule.id
    if plan.no_profile is not None:
        trace.append(plan.no_profile)
    return None


def _flags(plan: Plan, scales: Mapping[str, ScaleScore], trace: list[TraceStep]) -> list[str]:
    """Every flag whose condition holds, in the definition's order."""
    fired: list[str] = []
    for rule in plan.flags:
        if rule.test(scales):
            fired.append(rule.id)
            trace.append(rule.step)
    return fired
