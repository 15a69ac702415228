"""A definition compiled once into what scoring needs, so no call walks the definition again.

Scoring a window-of-tolerance answer set used to take about 113 µs, nearly all of it reading
the definition: response-scale properties that build a list on every access, score ranges
recomputed per scale, conditions interpreted node by node, band bounds rounded per call. A
`Plan` holds the result of all that, computed once per definition: each item's allowed
answers and how it is keyed, each scale's items, range and bands on the rounding grid, each
rule's condition as a function, and the trace sentences that depend only on the definition.

Plans are cached by the definition object itself (definitions are frozen), with a strong
reference to it, so an id can never be reused while its plan is cached. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.questionnaires.model import Definition, Item, Rule, Scale, round_half_up
from app.scoring.conditions import Test, compile_condition, describe, format_number
from app.scoring.result import TraceStep, TraceValue, trace_step

#: Plans kept at once: every published definition, plus room for tests' inline ones.
CACHE_SIZE = 64
#: Scored outcomes a scale keeps (see `ScalePlan.outcomes`): more than any shipped scale has.
OUTCOMES_SIZE = 4096

#: What an answer to an item comes to: its score (None: counted missing) and its trace step.
Keyed = tuple[int | None, TraceStep | None]
#: What a scored scale comes to: its trace steps, its score and its band.
Outcome = tuple[tuple[TraceStep, ...], float, str | None]


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """One item: the answers it takes and how an answer becomes its score."""

    id: str
    #: the allowed answers, and the same as the sentence of an error lists them.
    allowed: frozenset[int]
    listed: str
    #: each allowed answer's score and trace step, for an item that is reversed, recoded or
    #: has a not-applicable answer; empty for a plain one, whose score is the answer. Trace
    #: steps are frozen, so one built here serves every result that has it.
    keyed: Mapping[int, Keyed]


@dataclass(frozen=True, slots=True)
class BandPlan:
    """A band, its bounds on the scale's rounding grid, and the end of its trace sentence."""

    id: str
    low: float
    high: float
    min: float
    max: float
    detail: str


@dataclass(frozen=True, slots=True)
class ScalePlan:
    """One scale with its possible range and its bands."""

    id: str
    concept: str
    method: str
    items: tuple[str, ...]
    total: int
    low: float
    high: float
    min_answered: float
    #: `min_answered` as the insufficient step words it ("80 %").
    min_answered_text: str
    prorate: bool
    max_missing: int | None
    precision: int
    bands: tuple[BandPlan, ...]
    #: (items answered, their total) -> the scored scale's steps, score and band. Everything
    #: after the missing-answer rule is a function of those two numbers, so `score_scale`
    #: works each one out once (at most OUTCOMES_SIZE of them) and reuses its frozen steps.
    outcomes: dict[tuple[int, int], Outcome]


@dataclass(frozen=True, slots=True)
class RulePlan:
    """A profile or flag: its compiled condition and the sentence its trace step says."""

    id: str
    test: Test
    #: the step the trace takes when the rule holds: the same every time.
    step: TraceStep


@dataclass(slots=True)
class Plan:
    """Everything scoring needs from one definition."""

    definition: Definition
    key: str
    by_id: Mapping[str, ItemPlan]
    #: items whose score is the answer itself: no trace step, so their order does not matter.
    plain: tuple[str, ...]
    #: the others (reversed, recoded, or with a not-applicable answer), in definition order.
    keyed: tuple[ItemPlan, ...]
    scales: tuple[ScalePlan, ...]
    profiles: tuple[RulePlan, ...]
    #: the trace step when no profile matched, if there are profiles at all.
    no_profile: TraceStep | None
    flags: tuple[RulePlan, ...]
    content_hash: str | None = field(default=None)

    def definition_hash(self) -> str:
        """The definition's content hash, computed on first use: it costs more than scoring."""
        if self.content_hash is None:
            self.content_hash = self.definition.content_hash()
        return self.content_hash


_PLANS: dict[int, Plan] = {}


def plan_for(definition: Definition) -> Plan:
    """The compiled plan of a definition, compiled on first use and cached."""
    plan = _PLANS.get(id(definition))
    if plan is not None and plan.definition is definition:
        return plan
    plan = compile_plan(definition)
    if len(_PLANS) >= CACHE_SIZE:
        # The oldest plan goes first: dicts keep insertion order.
        del _PLANS[next(iter(_PLANS))]
    _PLANS[id(definition)] = plan
    return plan


def clear_plans() -> None:
    """Forget every cached plan (tests start each from a cold cache, so each compiles)."""
    _PLANS.clear()


def compile_plan(definition: Definition) -> Plan:
    """Compile a definition into its plan (no cache)."""
    items = tuple(_item_plan(definition, item) for item in definition.items)
    by_id = {item.id: item for item in items}
    profiles = tuple(_profile_plan(definition.profiles, n) for n in range(len(definition.profiles)))
    checked = [rule.id for rule in definition.profiles]
    no_profile = trace_step(
        "profile",
        definition.id,
        f"no profile rule matched (checked: {', '.join(checked)})",
        {"profile": None, "not_matched": checked},
    )
    return Plan(
        definition=definition,
        key=definition.key,
        by_id=MappingProxyType(by_id),
        plain=tuple(item.id for item in items if _is_plain(item)),
        keyed=tuple(item for item in items if not _is_plain(item)),
        scales=tuple(_scale_plan(definition, scale) for scale in definition.scales),
        profiles=profiles,
        no_profile=no_profile if profiles else None,
        flags=tuple(_flag_plan(rule) for rule in definition.flags),
    )


def _item_plan(definition: Definition, item: Item) -> ItemPlan:
    response = definition.response_scales[item.scale]
    values = response.values
    reverse = (response.min, response.max) if item.reverse else None
    recode = None if item.recode is None else MappingProxyType(dict(item.recode))
    plain = reverse is None and recode is None and not response.not_applicable
    return ItemPlan(
        id=item.id,
        allowed=frozenset(values),
        listed=", ".join(str(v) for v in values),
        keyed=MappingProxyType(
            {}
            if plain
            else {v: _keyed(item.id, v, response.not_applicable, reverse, recode) for v in values}
        ),
    )


def _keyed(
    item_id: str,
    answer: int,
    not_applicable: frozenset[int],
    reverse: tuple[int, int] | None,
    recode: Mapping[int, int] | None,
) -> Keyed:
    """An answer's score and trace step (none for an answer that is its own score)."""
    if answer in not_applicable:
        # A real answer ("no one was close to me") that the item cannot score: missing.
        detail = f"{item_id}: answer {answer} is 'not applicable', counted as missing"
        return None, trace_step(
            "item", item_id, detail, {"answer": answer, "score": None, "not_applicable": True}
        )
    if reverse is not None:
        low, high = reverse
        value = (low + high) - answer
        detail = f"{item_id} is reverse-keyed: ({low} + {high}) - {answer} = {value}"
        data: dict[str, TraceValue] = {"answer": answer, "min": low, "max": high, "score": value}
        return value, trace_step("item", item_id, detail, data)
    if recode is not None:
        value = recode[answer]
        detail = f"{item_id} is recoded: answer {answer} scores {value}"
        return value, trace_step("item", item_id, detail, {"answer": answer, "score": value})
    return answer, None


def _is_plain(item: ItemPlan) -> bool:
    return not item.keyed


def _scale_plan(definition: Definition, scale: Scale) -> ScalePlan:
    low, high = definition.score_range(scale)
    return ScalePlan(
        id=scale.id,
        concept=scale.concept,
        method=scale.method,
        items=tuple(scale.items),
        total=len(scale.items),
        low=low,
        high=high,
        min_answered=scale.min_answered,
        min_answered_text=format_number(scale.min_answered * 100),
        prorate=scale.prorate,
        max_missing=scale.max_missing,
        precision=scale.precision,
        bands=tuple(
            BandPlan(
                id=band.id,
                low=on_grid(band.min, scale.precision),
                high=on_grid(band.max, scale.precision),
                min=band.min,
                max=band.max,
                detail=(
                    f" is in band {band.id} [{format_number(band.min)}, {format_number(band.max)}]"
                ),
            )
            for band in scale.bands
        ),
        outcomes={},
    )


def _profile_plan(rules: list[Rule], n: int) -> RulePlan:
    rule = rules[n]
    earlier = [r.id for r in rules[:n]]
    detail = f"profile {rule.id} matched: {describe(rule.when)}"
    if earlier:
        detail += f"; earlier rules did not match: {', '.join(earlier)}"
    data: dict[str, TraceValue] = {"profile": rule.id, "not_matched": earlier}
    step = trace_step("profile", rule.id, detail, data)
    return RulePlan(id=rule.id, test=compile_condition(rule.when), step=step)


def _flag_plan(rule: Rule) -> RulePlan:
    step = trace_step("flag", rule.id, f"flag {rule.id} raised: {describe(rule.when)}", {})
    return RulePlan(id=rule.id, test=compile_condition(rule.when), step=step)


def on_grid(bound: float, precision: int) -> float:
    """A band bound rounded half up to the scale's grid, as the model rounds it to check tiling."""
    return float(round_half_up(bound, precision))
