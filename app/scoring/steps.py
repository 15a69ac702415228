"""The shapes of trace steps, one per `rule`, as the API contract publishes them.

`TraceStep.data` is stored and served as the scoring code wrote it; these models say, per kind
of step, which numbers it holds, so generated clients get a typed variant for each kind
instead of an open map. tests/scoring/test_steps.py checks every step the engine writes
against them, so the published shapes stay true.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.questionnaires.model import ScaleMethod


def _absent_not_null(schema: dict[str, Any]) -> None:
    # An optional key is left out, never written as null: no `default` in the published
    # schema, or openapi-typescript types the key as always present. (A model's schema always
    # has "properties", empty for FlagData.)
    for prop in schema["properties"].values():
        prop.pop("default", None)


class StepData(BaseModel):
    """Base of the step data shapes: nothing else is ever written."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_absent_not_null)


class ItemData(StepData):
    """An item's answer and the score it counts as (reverse keying also names the range)."""

    answer: int
    score: float | None = Field(description="None for a not-applicable answer (counted missing).")
    not_applicable: bool | None = Field(
        None, description="True when the answer is the item's not-applicable option."
    )
    min: float | None = Field(None, description="Reverse-keyed items: the lowest option.")
    max: float | None = Field(None, description="Reverse-keyed items: the highest option.")


class ScaleData(StepData):
    """How a scale was combined; or, when a score fell outside its range, how it was kept in."""

    method: ScaleMethod | None = None
    answered: int | None = None
    raw: float | None = None
    mean: float | None = None
    value: float | None = Field(None, description="A score outside the range, before clamping.")
    min: float | None = None
    max: float | None = None
    score: float | None = None


class InsufficientData(StepData):
    """Why a scale was not scored: too few answers."""

    answered: int
    total: int
    min_answered: float
    prorate: bool
    #: The scale's own missing-answer rule, when it has one (then min_answered is not used).
    max_missing: int | None = None
    missing: list[str]


class ProrateData(StepData):
    """A sum scaled up to the full item count."""

    raw: float
    answered: int
    total: int
    prorated: float


class RoundData(StepData):
    """A score rounded half up."""

    value: float
    precision: int
    score: float


class BandData(StepData):
    """The band a score falls in, and its range."""

    score: float
    band: str
    min: float
    max: float


class ProfileData(StepData):
    """The profile that matched (none if none did), and the rules checked before it."""

    profile: str | None
    not_matched: list[str]


class FlagData(StepData):
    """A flag fired; its condition is in the questionnaire's rules."""


class Step(BaseModel):
    """What every step has: the target it is about and a sentence saying what happened."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str = Field(description="The item, scale, profile or flag the step is about.")
    detail: str


class ItemStep(Step):
    """An item was recoded or reverse-keyed."""

    rule: Literal["item"]
    data: ItemData


class ScaleStep(Step):
    """A scale was combined (or clamped into its range)."""

    rule: Literal["scale"]
    data: ScaleData


class InsufficientStep(Step):
    """A scale had too few answers to be scored."""

    rule: Literal["insufficient"]
    data: InsufficientData


class ProrateStep(Step):
    """A scale's sum was prorated."""

    rule: Literal["prorate"]
    data: ProrateData


class RoundStep(Step):
    """A scale's score was rounded."""

    rule: Literal["round"]
    data: RoundData


class BandStep(Step):
    """A scale's score fell in a band."""

    rule: Literal["band"]
    data: BandData


class ProfileStep(Step):
    """The profile rules were checked."""

    rule: Literal["profile"]
    data: ProfileData


class FlagStep(Step):
    """A flag fired."""

    rule: Literal["flag"]
    data: FlagData


TraceStepShape = Annotated[
    ItemStep
    | ScaleStep
    | InsufficientStep
    | ProrateStep
    | RoundStep
    | BandStep
    | ProfileStep
    | FlagStep,
    Field(discriminator="rule"),
]
