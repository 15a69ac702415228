"""`score()` in process, per shipped questionnaire, against the same rules run through FHIRPath.

Usage (from the repository root; `make bench` runs it first):
  .venv/bin/python bench/scoring.py             # every shipped definition, default repeats
  .venv/bin/python bench/scoring.py --help      # options

For each definition in app/questionnaires/definitions it prints the µs one `score()` call
takes (the whole result with its trace, as a submission stores it), as the median and the
spread (min-max) over repeated runs, and beside it the same questionnaire scored the way an
HL7 FHIR SDC system does: the answers as a QuestionnaireResponse, the published rules as
FHIRPath expressions (reverse keys, recodes, not-applicable answers, sums, the missing-answer
rule, prorating, clamping, rounding half up, bands, profiles and flags) evaluated in order
with `fhirpathpy`, each seeing the ones before as %variables, as SDC's `variable` extension
chains them. Both routes get the same random answer sets, and both are checked to give the
same score and band for every scale, the same profile and the same flags: any difference
prints the answers and exits 1.

Targets (issue 15), printed as PASS/MISS for window-of-tolerance, the newest version:
`score()` at most 15 µs, and at least 50 times faster than the FHIRPath route. The figures
are wall-clock medians on a shared machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fhirpathpy import compile as fhirpath_compile

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
)
from app.questionnaires.registry import load_definitions
from app.scoring import score
from app.scoring.plan import on_grid

DEFINITIONS = Path(__file__).resolve().parent.parent / "app" / "questionnaires" / "definitions"
TARGET_ID = "window-of-tolerance"
TARGET_US = 15.0
TARGET_RATIO = 50.0

Answers = dict[str, int]
Outcome = tuple[dict[str, tuple[float | None, str | None]], str | None, list[str]]


# --- the FHIRPath route -----------------------------------------------------------------------


def _name(text: str) -> str:
    """A FHIRPath %variable name for a scale id (ids may hold hyphens)."""
    return text.replace("-", "_")


def _item_expression(definition: Definition, item: Item) -> str:
    """The item's score as FHIRPath: empty when unanswered or answered 'not applicable'."""
    response = definition.response_scales[item.scale]
    expression = f"%context.item.where(linkId = '{item.id}').answer.valueInteger"
    for value in sorted(response.not_applicable):
        expression += f".where($this != {value})"
    if item.reverse:
        expression += f".select(({response.min} + {response.max}) - $this)"
    elif item.recode is not None:
        *pairs, (_, last) = sorted(item.recode.items())
        recoded = str(last)
        for answer, points in reversed(pairs):
            recoded = f"iif($this = {answer}, {points}, {recoded})"
        expression += f".select({recoded})"
    return expression


def _scale_variables(definition: Definition, scale: Scale) -> list[tuple[str, str]]:
    """The scale's rules as named FHIRPath expressions, each using the ones before it."""
    s = _name(scale.id)
    items = [_item_expression(definition, definition.item(i)) for i in scale.items]
    total = len(scale.items)
    low, high = definition.score_range(scale)
    if scale.max_missing is not None:
        enough = f"({total} - %{s}_n) <= {scale.max_missing}"
    else:
        enough = f"(%{s}_n / {total}) >= {scale.min_answered}"
        if not scale.prorate:
            enough += f" and %{s}_n = {total}"
    if scale.method == "mean":
        value = f"%{s}_raw / %{s}_n"
    elif scale.prorate:
        value = f"iif(%{s}_n = {total}, %{s}_raw, %{s}_raw * {total} / %{s}_n)"
    else:
        value = f"%{s}_raw"
    grid = 10**scale.precision
    bands = "{}"
    for band in reversed(scale.bands):
        lo, hi = on_grid(band.min, scale.precision), on_grid(band.max, scale.precision)
        bands = f"iif(%{s}_score >= {lo} and %{s}_score <= {hi}, '{band.id}', {bands})"
    return [
        (f"{s}_scores", items[0] + "".join(f".combine({e})" for e in items[1:])),
        (f"{s}_n", f"%{s}_scores.count()"),
        (f"{s}_raw", f"%{s}_scores.sum()"),
        (f"{s}_value", f"iif({enough}, {value})"),
        (
            f"{s}_clamped",
            f"iif(%{s}_value < {low}, {low}, iif(%{s}_value > {high}, {high}, %{s}_value))",
        ),
        # Half up, as people round (FHIRPath's round() may round half to even).
        (f"{s}_score", f"((%{s}_clamped * {grid}) + 0.5).floor() / {grid}"),
        (f"{s}_band", f"iif(%{s}_score.exists(), {bands})"),
    ]


def _condition(condition: Condition) -> str:
    """A profile or flag condition in FHIRPath; an unscored scale fails every test, as in Attune."""
    if isinstance(condition, AllOf):
        return "(" + " and ".join(_condition(c) for c in condition.all) + ")"
    if isinstance(condition, AnyOf):
        return "(" + " or ".join(_condition(c) for c in condition.any) + ")"
    if isinstance(condition, Not):
        return f"({_condition(condition.not_)}).not()"
    if isinstance(condition, BandIn):
        s = _name(condition.scale)
        bands = " or ".join(f"%{s}_band = '{b}'" for b in condition.band)
        return f"(%{s}_band.exists() and ({bands}))"
    if isinstance(condition, Compare):
        s = _name(condition.scale)
        op = "=" if condition.op == "==" else condition.op
        return f"(%{s}_score.exists() and %{s}_score {op} {condition.value})"
    if isinstance(condition, Insufficient):
        return f"%{_name(condition.insufficient)}_score.empty()"
    assert isinstance(condition, Always)
    return "true"


def fhirpath_variables(definition: Definition) -> list[tuple[str, str]]:
    """Every rule of a definition as ordered FHIRPath variables, ending in profile and flags."""
    variables = [v for scale in definition.scales for v in _scale_variables(definition, scale)]
    profile = "{}"
    for rule in reversed(definition.profiles):
        profile = f"iif({_condition(rule.when)}, '{rule.id}', {profile})"
    variables.append(("profile", profile))
    flags = [f"iif({_condition(rule.when)}, '{rule.id}')" for rule in definition.flags]
    if flags:
        variables.append(("flags", flags[0] + "".join(f".combine({f})" for f in flags[1:])))
    return variables


@dataclass
class FhirRoute:
    """A definition's rules compiled once with fhirpathpy, evaluated in order per response."""

    definition: Definition
    compiled: list[tuple[str, Callable[..., list[Any]]]]

    @classmethod
    def of(cls, definition: Definition) -> FhirRoute:
        variables = fhirpath_variables(definition)
        return cls(definition, [(name, fhirpath_compile(e)) for name, e in variables])

    def evaluate(self, response: Mapping[str, Any]) -> dict[str, list[Any]]:
        values: dict[str, list[Any]] = {}
        for name, expression in self.compiled:
            values[name] = expression(response, values)
        return values

    def outcome(self, values: Mapping[str, list[Any]]) -> Outcome:
        scales = {}
        for scale in self.definition.scales:
            s = _name(scale.id)
            value = values[f"{s}_score"]
            band = values[f"{s}_band"]
            scales[scale.id] = (float(value[0]) if value else None, band[0] if band else None)
        profile = values["profile"]
        return scales, profile[0] if profile else None, list(values.get("flags", []))


def response_of(answers: Mapping[str, int]) -> dict[str, Any]:
    """The answers as a (minimal) FHIR QuestionnaireResponse."""
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [
            {"linkId": item_id, "answer": [{"valueInteger": value}]}
            for item_id, value in answers.items()
        ],
    }


# --- answers, checks and timing ---------------------------------------------------------------


def random_answers(definition: Definition, rng: random.Random, missing: float) -> Answers:
    """Any allowed answer (not-applicable ones included) for each item, some left out."""
    return {
        item.id: rng.choice(definition.response_scales[item.scale].values)
        for item in definition.items
        if rng.random() >= missing
    }


def engine_outcome(definition: Definition, answers: Answers) -> Outcome:
    result = score(definition, answers, definition_hash="bench")
    scales = {s.id: (s.score, s.band) for s in result.scales}
    return scales, result.profile, list(result.flags)


def per_call_us(run: Callable[[], object], calls: int, repeats: int) -> list[float]:
    """CPU µs per call of `run` (which makes `calls` calls), once per repeat, after a warm-up.

    CPU time rather than wall time: on a shared machine the wall clock also counts the time
    other processes held the core.
    """
    run()
    figures = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        figures.append((time.process_time() - start) / calls * 1e6)
    return figures


def spread(figures: list[float]) -> str:
    return f"{statistics.median(figures):9.1f} ({min(figures):.1f}-{max(figures):.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=300, help="random answer sets checked")
    parser.add_argument("--answers", type=int, default=200, help="answer sets per timed run")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per route")
    parser.add_argument("--fhir-answers", type=int, default=10, help="answer sets, FHIRPath")
    parser.add_argument("--missing", type=float, default=0.1, help="share of items left out")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    definitions = sorted(load_definitions(DEFINITIONS).values(), key=lambda d: d.key)
    load = os.getloadavg()[0]
    print(f"score() vs FHIRPath (fhirpathpy), µs per questionnaire, load average {load:.2f}")
    print(
        f"{'definition':<30} {'score() median (spread)':>26} {'FHIRPath median (spread)':>28} ratio"
    )
    ok = True
    target: tuple[float, float] | None = None
    newest = max(
        (d for d in definitions if d.id == TARGET_ID),
        key=lambda d: tuple(int(part) for part in d.version.split(".")),
    )
    for definition in definitions:
        route = FhirRoute.of(definition)
        for _ in range(args.checks):
            answers = random_answers(definition, rng, args.missing)
            ours = engine_outcome(definition, answers)
            theirs = route.outcome(route.evaluate(response_of(answers)))
            if ours != theirs:
                print(
                    f"DIFFERENT {definition.key} {answers}\n  score(): {ours}\n  FHIRPath: {theirs}"
                )
                ok = False
                break
        sets = [random_answers(definition, rng, args.missing) for _ in range(args.answers)]
        digest = definition.content_hash()
        engine = per_call_us(
            lambda: [score(definition, a, definition_hash=digest) for a in sets],  # noqa: B023
            len(sets),
            args.repeats,
        )
        responses = [response_of(a) for a in sets[: args.fhir_answers]]
        fhir = per_call_us(
            lambda: [route.evaluate(r) for r in responses],  # noqa: B023
            len(responses),
            max(3, args.repeats // 3),
        )
        ratio = statistics.median(fhir) / statistics.median(engine)
        print(f"{definition.key:<30} {spread(engine):>26} {spread(fhir):>28} {ratio:5.0f}x")
        if definition is newest:
            target = (statistics.median(engine), ratio)
    if target is not None:
        us, ratio = target
        print(
            f"{'PASS' if us <= TARGET_US else 'MISS'}  score() of {newest.key}: {us:.1f} µs "
            f"(target <= {TARGET_US:g} µs, with its trace)"
        )
        print(
            f"{'PASS' if ratio >= TARGET_RATIO else 'MISS'}  {ratio:.0f}x faster than FHIRPath "
            f"(target >= {TARGET_RATIO:g}x)"
        )
    print("same scores, bands, profiles and flags on both routes" if ok else "ROUTES DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
