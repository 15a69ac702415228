"""The questionnaire definition format: a pydantic schema of the YAML files.

Pure: no I/O, no clock, no environment. A definition that validates here is internally
consistent (every reference resolves, bands tile each scale's whole range, texts exist for
every declared locale), so the scoring engine can trust it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from typing_extensions import TypeAliasType

SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
LOCALE = r"^[a-z]{2}(?:-[A-Z]{2})?$"

Slug = Annotated[str, Field(pattern=SLUG, max_length=64)]
Locale = Annotated[str, Field(pattern=LOCALE)]
#: A text in several languages: ``{"en": "...", "es": "..."}``.
LocalizedText = dict[Locale, Annotated[str, Field(min_length=1)]]

ConceptId = Literal[
    "neuroception",
    "co-regulation",
    "window-of-tolerance",
    "hyperarousal",
    "hypoarousal",
    "ventral-regulation",
    "felt-safety",
    "loneliness",
    "social-isolation",
    "connection-as-protection",
    "closeness-capacity",
    "corrective-relationship",
]
CONCEPT_IDS: tuple[str, ...] = ConceptId.__args__  # type: ignore[attr-defined]


#: How a scale combines its items; one named type wherever it appears (definitions, results).
ScaleMethod = TypeAliasType("ScaleMethod", Literal["sum", "mean"])


class Frozen(BaseModel):
    """Base of every definition model: immutable, strict about unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# --- conditions: a tiny declarative language, evaluated by app.scoring.conditions -------------


class BandIn(Frozen):
    """True when `scale` was scored and its band is one of `band`."""

    scale: Slug
    band: list[Slug] = Field(min_length=1)


class Compare(Frozen):
    """True when `scale` was scored and ``score <op> value``."""

    scale: Slug
    op: Literal["<", "<=", "==", "!=", ">=", ">"]
    value: float


class Insufficient(Frozen):
    """True when `scale` had too few answers to be scored."""

    insufficient: Slug


class AllOf(Frozen):
    """True when every condition is true."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(Frozen):
    """True when at least one condition is true."""

    any: list[Condition] = Field(min_length=1)


class Not(Frozen):
    """True when the condition is false.

    Mind unscored scales: ``not {scale: x, band: [high]}`` is also true when `x` is
    insufficient. Say ``{scale: x, band: [low, moderate]}`` to mean "scored and not high".
    """

    # Serialized as `not` everywhere (API answers, dumps), as it is written in the YAML.
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True
    )

    not_: Condition = Field(alias="not")


class Always(Frozen):
    """Always true: the catch-all last profile."""

    always: Literal[True]


Condition = AllOf | AnyOf | Not | BandIn | Compare | Insufficient | Always
for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()


def condition_scales(condition: Condition) -> set[str]:
    """Every scale id a condition refers to."""
    if isinstance(condition, AllOf):
        return set().union(*(condition_scales(c) for c in condition.all))
    if isinstance(condition, AnyOf):
        return set().union(*(condition_scales(c) for c in condition.any))
    if isinstance(condition, Not):
        return condition_scales(condition.not_)
    if isinstance(condition, BandIn | Compare):
        return {condition.scale}
    if isinstance(condition, Insufficient):
        return {condition.insufficient}
    return set()


# --- the parts of a definition ----------------------------------------------------------------


class ResponseOption(Frozen):
    """One answer a person can give; `value` is what clients send.

    A `not_applicable` option ("no one was close to me") is a real answer that scores nothing:
    the item counts as missing, and the option is outside the range used for reverse keying.
    """

    value: int
    label: LocalizedText
    not_applicable: bool = False


class ResponseScale(Frozen):
    """A named, ordered set of answer options shared by several items."""

    options: list[ResponseOption] = Field(min_length=2)

    @field_validator("options")
    @classmethod
    def _ascending_unique(cls, options: list[ResponseOption]) -> list[ResponseOption]:
        values = [o.value for o in options]
        if values != sorted(set(values)):
            raise ValueError("option values must be unique and in ascending order")
        return options

    @field_validator("options")
    @classmethod
    def _some_scored(cls, options: list[ResponseOption]) -> list[ResponseOption]:
        if sum(1 for o in options if not o.not_applicable) < 2:
            raise ValueError("at least two options must be scored (not not_applicable)")
        return options

    @property
    def values(self) -> list[int]:
        """The values a client may send."""
        return [o.value for o in self.options]

    @property
    def scored_values(self) -> list[int]:
        """The values that score (every option but the not-applicable ones)."""
        return [o.value for o in self.options if not o.not_applicable]

    @property
    def not_applicable(self) -> frozenset[int]:
        """The values that count as a missing answer."""
        return frozenset(o.value for o in self.options if o.not_applicable)

    @property
    def min(self) -> int:
        """The lowest scored option value."""
        return self.scored_values[0]

    @property
    def max(self) -> int:
        """The highest scored option value."""
        return self.scored_values[-1]


class Item(Frozen):
    """One question. Its score is the answer, reversed or recoded as declared."""

    id: Slug
    text: LocalizedText
    scale: Slug
    concept: ConceptId
    reverse: bool = False
    #: answer value -> item score; replaces the answer (e.g. yes/more or less -> 1).
    recode: dict[int, int] | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> Item:
        if self.reverse and self.recode is not None:
            raise ValueError("an item is either reverse-keyed or recoded, not both")
        return self


class Band(Frozen):
    """A closed range ``[min, max]`` of a scale's score, with its label and feedback."""

    id: Slug
    min: float
    max: float
    label: LocalizedText
    feedback: Slug | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min > self.max:
            raise ValueError(f"band {self.id}: min {self.min} is above max {self.max}")
        return self


class Reliability(Frozen):
    """Published figures for the reliable change index (Jacobson & Truax, 1991)."""

    sd: float = Field(gt=0)
    r: float = Field(gt=0, lt=1)
    source: str = Field(min_length=1)


class Scale(Frozen):
    """A subscale: a score over some items, with bands and the concept it speaks to."""

    id: Slug
    title: LocalizedText
    concept: ConceptId
    items: list[Slug] = Field(min_length=1)
    method: ScaleMethod = "sum"
    #: fraction of items that must be answered; below it the scale is `insufficient`.
    min_answered: float = Field(default=0.8, gt=0, le=1)
    #: with missing answers (above `min_answered`), scale a sum up to the full item count.
    prorate: bool = True
    #: at most this many items may be missing (instead of `min_answered`); with
    #: `prorate: false` the score is then the sum of the answered items, as the De Jong
    #: Gierveld manual scores its total with one item missing.
    max_missing: int | None = Field(default=None, ge=0)
    #: decimals the score is rounded to (half up); bands must tile the range at this step.
    precision: int = Field(default=0, ge=0, le=4)
    bands: list[Band] = Field(default_factory=list)
    reliability: Reliability | None = None
    #: why there is no `reliability`, shown with a raw change instead of a reliable one.
    reliability_note: LocalizedText | None = None

    @field_validator("items")
    @classmethod
    def _unique_items(cls, items: list[str]) -> list[str]:
        if len(set(items)) != len(items):
            raise ValueError("an item is listed twice")
        return items

    @model_validator(mode="after")
    def _missing_rule(self) -> Scale:
        if self.max_missing is not None and self.max_missing >= len(self.items):
            raise ValueError("max_missing must leave at least one item to answer")
        return self

    @property
    def step(self) -> Decimal:
        """The smallest difference between two possible scores."""
        return Decimal(1).scaleb(-self.precision)


class Rule(Frozen):
    """A named condition: a profile or a flag."""

    id: Slug
    label: LocalizedText
    when: Condition
    feedback: Slug | None = None


class FeedbackText(Frozen):
    """A message tied to a concept: what the answers suggest, why it matters, what may help."""

    concept: ConceptId
    text: LocalizedText
    why: LocalizedText | None = None
    helps: LocalizedText | None = None


class Translation(Frozen):
    """The status of one locale's text: validated for the instrument or not."""

    validated: bool
    note: LocalizedText | None = None


class Definition(Frozen):
    """A whole questionnaire: identity, items, scoring rules and feedback."""

    id: Slug
    version: Annotated[str, Field(pattern=SEMVER)]
    title: LocalizedText
    description: LocalizedText
    instructions: LocalizedText
    locales: list[Locale] = Field(min_length=1)
    translations: dict[Locale, Translation] = Field(default_factory=dict)
    validated: bool
    license: str = Field(min_length=1)
    #: the licence does not cover showing results to the public: the questionnaire is off
    #: (not listed, served or invitable) unless the operator enables it by id.
    requires_permission: bool = False
    #: for researchers: how answer codes relate to the instrument's own coding; in the codebook.
    coding_note: str | None = None
    citation: str | None = None
    response_scales: dict[Slug, ResponseScale] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    scales: list[Scale] = Field(min_length=1)
    profiles: list[Rule] = Field(default_factory=list)
    flags: list[Rule] = Field(default_factory=list)
    feedback: dict[Slug, FeedbackText] = Field(default_factory=dict)

    _items_by_id: dict[str, Item] = PrivateAttr(default_factory=dict)
    _scales_by_id: dict[str, Scale] = PrivateAttr(default_factory=dict)

    @property
    def default_locale(self) -> str:
        """The first declared locale, used when a requested one is not offered."""
        return self.locales[0]

    @property
    def key(self) -> str:
        """``id@version``, the immutable name of a published definition."""
        return f"{self.id}@{self.version}"

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError if absent)."""
        return self._items_by_id[item_id]

    def scale(self, scale_id: str) -> Scale:
        """The scale with this id (KeyError if absent)."""
        return self._scales_by_id[scale_id]

    def model_post_init(self, context: object, /) -> None:
        """Index items and scales once: the scoring hot path looks them up by id."""
        self._items_by_id = {i.id: i for i in self.items}
        self._scales_by_id = {s.id: s for s in self.scales}

    def item_score_range(self, item: Item) -> tuple[int, int]:
        """The lowest and highest score an item can contribute."""
        scale = self.response_scales[item.scale]
        if item.recode is not None:
            return min(item.recode.values()), max(item.recode.values())
        return scale.min, scale.max

    def score_range(self, scale: Scale) -> tuple[float, float]:
        """The lowest and highest score a scale can take."""
        ranges = [self.item_score_range(self.item(i)) for i in scale.items]
        low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
        if scale.method == "mean":
            return low / len(ranges), high / len(ranges)
        return float(low), float(high)

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the definition: what the lock file records."""
        canonical = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def canonical(self) -> dict[str, object]:
        """The dump that is hashed: fields added to the format after 1.0 are left out while
        they hold their default, so that every definition published before keeps its hash."""
        data = self.model_dump(mode="json", by_alias=True)
        for key, default in (("requires_permission", False), ("coding_note", None)):
            if data[key] == default:
                del data[key]
        for scale in data["scales"]:
            if scale["max_missing"] is None:
                del scale["max_missing"]
        for response_scale in data["response_scales"].values():
            for option in response_scale["options"]:
                if not option["not_applicable"]:
                    del option["not_applicable"]
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Definition:
        references = self._reference_problems()
        problems = references + self._locale_problems()
        # Score ranges look items and response scales up: with a dangling reference they would
        # raise KeyError (which pydantic does not turn into a validation error), so wait.
        if not references:
            for scale in self.scales:
                problems += self._band_problems(scale)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _reference_problems(self) -> list[str]:
        problems: list[str] = []
        item_ids = [i.id for i in self.items]
        if len(set(item_ids)) != len(item_ids):
            problems.append("items: two items share an id")
        scale_ids = [s.id for s in self.scales]
        if len(set(scale_ids)) != len(scale_ids):
            problems.append("scales: two scales share an id")
        for n, item in enumerate(self.items):
            options = self.response_scales.get(item.scale)
            if options is None:
                problems.append(f"items[{n}].scale: unknown response scale {item.scale!r}")
            elif item.recode is not None and sorted(item.recode) != options.scored_values:
                problems.append(
                    f"items[{n}].recode: must map exactly the values {options.scored_values}"
                )
        for n, scale in enumerate(self.scales):
            for item_id in scale.items:
                if item_id not in item_ids:
                    problems.append(f"scales[{n}].items: unknown item {item_id!r}")
            keys = [b.feedback for b in scale.bands]
            problems += self._feedback_problems(f"scales[{n}].bands", keys)
        for kind, rules in (("profiles", self.profiles), ("flags", self.flags)):
            for n, rule in enumerate(rules):
                for scale_id in condition_scales(rule.when) - set(scale_ids):
                    problems.append(f"{kind}[{n}].when: unknown scale {scale_id!r}")
                problems += self._feedback_problems(f"{kind}[{n}]", [rule.feedback])
        return problems

    def _feedback_problems(self, where: str, keys: list[str | None]) -> list[str]:
        return [
            f"{where}.feedback: unknown feedback key {key!r}"
            for key in keys
            if key is not None and key not in self.feedback
        ]

    def _locale_problems(self) -> list[str]:
        problems: list[str] = []
        for path, text in self._localized_texts():
            missing = [loc for loc in self.locales if loc not in text]
            if missing:
                problems.append(f"{path}: no text for locale(s) {', '.join(missing)}")
        return problems

    def _localized_texts(self) -> list[tuple[str, dict[str, str]]]:
        texts: list[tuple[str, dict[str, str]]] = [
            ("title", self.title),
            ("description", self.description),
            ("instructions", self.instructions),
        ]
        for name, rs in self.response_scales.items():
            texts += [
                (f"response_scales.{name}.options[{n}].label", o.label)
                for n, o in enumerate(rs.options)
            ]
        texts += [(f"items[{n}].text", i.text) for n, i in enumerate(self.items)]
        for n, s in enumerate(self.scales):
            texts.append((f"scales[{n}].title", s.title))
            texts += [(f"scales[{n}].bands[{m}].label", b.label) for m, b in enumerate(s.bands)]
        for kind, rules in (("profiles", self.profiles), ("flags", self.flags)):
            texts += [(f"{kind}[{n}].label", r.label) for n, r in enumerate(rules)]
        for key, fb in self.feedback.items():
            for part in ("text", "why", "helps"):
                value = getattr(fb, part)
                if value is not None:
                    texts.append((f"feedback.{key}.{part}", value))
        return texts

    def _band_problems(self, scale: Scale) -> list[str]:
        """Bands must tile ``[low, high]`` on the scale's rounding grid: no gap, no overlap."""
        if not scale.bands:
            return []
        where = f"scales[{self.scales.index(scale)}].bands"
        low, high = (_dec(v, scale.precision) for v in self.score_range(scale))
        bands = sorted(scale.bands, key=lambda b: b.min)
        problems: list[str] = []
        if _dec(bands[0].min, scale.precision) != low:
            problems.append(f"{where}: the lowest band starts at {bands[0].min}, not at {low}")
        if _dec(bands[-1].max, scale.precision) != high:
            problems.append(f"{where}: the highest band ends at {bands[-1].max}, not at {high}")
        for before, after in itertools.pairwise(bands):
            expected = _dec(before.max, scale.precision) + scale.step
            if _dec(after.min, scale.precision) != expected:
                problems.append(
                    f"{where}: band {after.id} starts at {after.min}; after {before.id} "
                    f"(which ends at {before.max}) the next band must start at {expected}"
                )
        return problems


def _dec(value: float, precision: int) -> Decimal:
    return round_half_up(value, precision)


def round_half_up(value: float, precision: int) -> Decimal:
    """Round as people do (2.5 -> 3), not as floats do, at `precision` decimals."""
    step = Decimal(1).scaleb(-precision)
    return Decimal(repr(value)).quantize(step, rounding="ROUND_HALF_UP")


def is_slug(value: str) -> bool:
    """Whether a string is a valid id for a definition, item, scale or band."""
    return re.fullmatch(SLUG, value) is not None
