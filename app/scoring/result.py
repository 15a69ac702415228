"""What scoring returns: scores per scale, the overall profile, flags and a step-by-step trace.

These frozen models are stored as JSON with every result and served as they are, so a stored
result can be read, audited and recomputed without the code that made it.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from typing_extensions import TypeAliasType

from app.questionnaires.model import ScaleMethod
from app.scoring.steps import TraceStepShape

#: A number, a name, a yes/no or a list of names (items missing, profiles not matched).
TraceValue = TypeAliasType("TraceValue", bool | int | float | str | list[str] | None)
ScaleStatus = TypeAliasType("ScaleStatus", Literal["scored", "insufficient"])
TraceRule = TypeAliasType(
    "TraceRule",
    Literal["item", "scale", "prorate", "round", "band", "insufficient", "profile", "flag"],
)


class ResultModel(BaseModel):
    """Base of the result models: immutable, and no unknown keys when read back."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TraceStep(ResultModel):
    """One step of the scoring, in the order it was taken.

    `rule` names the kind of step (``item``, ``scale``, ``prorate``, ``round``, ``band``,
    ``insufficient``, ``profile``, ``flag``); `detail` says it in a sentence; `data` holds the
    numbers so that a machine can check the sentence.
    """

    rule: TraceRule
    target: str = Field(description="The item, scale, profile or flag the step is about.")
    detail: str
    data: dict[str, TraceValue] = Field(
        default_factory=dict,
        description="The step's numbers by name: answer, score, min, max, raw, mean, answered, "
        "total, prorated, value, precision, band, profile, not_matched, missing, ...",
    )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Published as one variant per `rule` (app/scoring/steps.py), not an open map."""
        return handler(TypeAdapter(TraceStepShape).core_schema)


class ScaleScore(ResultModel):
    """The score of one scale, or why there is none."""

    id: str
    concept: str
    method: ScaleMethod
    status: ScaleStatus
    answered: int
    total: int
    missing: list[str] = Field(description="Items of the scale without an answer.")
    raw: float | None = Field(description="Sum of the answered items' scores.")
    mean: float | None = Field(description="Mean of the answered items' scores.")
    score: float | None = Field(description="The reported score: prorated and rounded.")
    min: float = Field(description="Lowest possible score.")
    max: float = Field(description="Highest possible score.")
    band: str | None = Field(description="The band the score falls in (none if insufficient).")


class ScoreResult(ResultModel):
    """The whole result of scoring one set of answers against one definition."""

    questionnaire_id: str
    questionnaire_version: str
    definition_hash: str
    engine_version: str
    scales: list[ScaleScore]
    profile: str | None
    flags: list[str]
    trace: list[TraceStep]

    def scale(self, scale_id: str) -> ScaleScore:
        """The score of one scale (KeyError if absent)."""
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)


# --- building results without validation --------------------------------------------------------
#
# Validating a result costs more than computing it (about 2 µs a trace step, 44 µs for a
# whole window-of-tolerance result), and the engine writes exactly these fields with exactly
# these types: a result built here is equal, field for field and byte for byte when dumped, to
# the same result validated (tests/scoring/test_reference.py holds the two equal). Stored
# results are read back with `ScoreResult.model_validate`, which validates as usual.

_new = object.__new__
_set = object.__setattr__
_STEP_FIELDS = set(TraceStep.model_fields)
_SCALE_FIELDS = set(ScaleScore.model_fields)
_RESULT_FIELDS = set(ScoreResult.model_fields)


def trace_step(rule: str, target: str, detail: str, data: dict[str, TraceValue]) -> TraceStep:
    """A trace step as the engine writes it (every field given, as validation would keep it)."""
    fields: dict[str, object] = {"rule": rule, "target": target, "detail": detail, "data": data}
    return _built(TraceStep, fields, _STEP_FIELDS)


def scale_score(fields: dict[str, object]) -> ScaleScore:
    """A scale score from its fields, in `ScaleScore`'s order, with the types it declares."""
    return _built(ScaleScore, fields, _SCALE_FIELDS)


def score_result(fields: dict[str, object]) -> ScoreResult:
    """A whole result from its fields, in `ScoreResult`'s order, with the types it declares."""
    return _built(ScoreResult, fields, _RESULT_FIELDS)


_Model = TypeVar("_Model", bound=BaseModel)


def _built(model: type[_Model], fields: dict[str, object], fields_set: set[str]) -> _Model:
    # What `BaseModel.model_construct` does, without its per-field loop over defaults. The
    # fields-set is shared: these models are frozen, and `model_copy` copies it to change it.
    built: _Model = _new(model)
    _set(built, "__dict__", fields)
    _set(built, "__pydantic_fields_set__", fields_set)
    _set(built, "__pydantic_extra__", None)
    _set(built, "__pydantic_private__", None)
    return built
