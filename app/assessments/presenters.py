"""Turning stored assessments and results into API bodies, in the requested language."""

from __future__ import annotations

from app.assessments.models import Assessment, Result
from app.assessments.schemas import (
    AssessmentRead,
    Label,
    Progress,
    ResultRead,
    ScaleResult,
)
from app.i18n import negotiate_locale
from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.questionnaires.schemas import localized
from app.questionnaires.support import OrganizationSupport
from app.scoring import render_feedback
from app.scoring.result import ScoreResult, trace_step


def present_assessment(assessment: Assessment, definition: Definition) -> AssessmentRead:
    """An assessment as the API shows it, its answers in the questionnaire's item order.

    One order whatever the client sent and however the database keeps JSON keys (PostgreSQL's
    JSONB reorders them), so a replayed submission is byte for byte the first answer.
    """
    return AssessmentRead(
        id=assessment.id,
        questionnaire_id=assessment.questionnaire_id,
        questionnaire_version=assessment.questionnaire_version,
        definition_hash=assessment.definition_hash,
        status=assessment.status,
        source=assessment.source,
        answers=ordered_answers(assessment.answers, definition),
        progress=Progress(answered=len(assessment.answers), total=len(definition.items)),
        revision=assessment.revision,
        created_at=assessment.created_at,
        updated_at=assessment.updated_at,
        answered_at=assessment.answered_at,
        submitted_at=assessment.submitted_at,
    )


def ordered_answers(answers: dict[str, int], definition: Definition) -> dict[str, int]:
    """The answers in the definition's item order (any unknown id after them, sorted)."""
    order = _item_order(definition)
    last = len(order)
    return dict(sorted(answers.items(), key=lambda a: (order.get(a[0], last), a[0])))


_item_orders: dict[str, dict[str, int]] = {}


def _item_order(definition: Definition) -> dict[str, int]:
    """Item id -> position, made once per definition (a published version never changes)."""
    order = _item_orders.get(definition.key)
    if order is None:
        order = {item.id: position for position, item in enumerate(definition.items)}
        _item_orders[definition.key] = order
    return order


def present_result(
    assessment: Assessment,
    result: Result,
    definition: Definition,
    registry: Registry,
    wanted: list[str],
    organization: OrganizationSupport | None = None,
    scored: ScoreResult | None = None,
) -> ResultRead:
    """A result with localized labels and feedback; support follows the reader's region.

    `scored` is the score as just computed, if it was: then the stored JSON is not parsed back.
    """
    if scored is None:
        scored = ScoreResult.model_validate(result.score)
    locale = negotiate_locale(wanted, definition.locales, definition.default_locale)

    def text(value: dict[str, str]) -> str:
        return localized(value, locale, definition.default_locale)

    profiles = {p.id: p for p in definition.profiles}
    flags = {f.id: f for f in definition.flags}
    scales = []
    for s in scored.scales:
        scale = definition.scale(s.id)
        band = next((b for b in scale.bands if b.id == s.band), None)
        scales.append(
            ScaleResult(
                **s.model_dump(),
                title=text(scale.title),
                band_label=text(band.label) if band else None,
            )
        )
    return ResultRead(
        assessment_id=assessment.id,
        questionnaire_id=scored.questionnaire_id,
        questionnaire_version=scored.questionnaire_version,
        definition_hash=scored.definition_hash,
        engine_version=scored.engine_version,
        answered_at=assessment.answered_at,
        submitted_at=assessment.submitted_at or result.created_at,
        locale=locale,
        scales=scales,
        profile=Label(id=scored.profile, label=text(profiles[scored.profile].label))
        if scored.profile
        else None,
        flags=[Label(id=f, label=text(flags[f].label)) for f in scored.flags],
        trace=[
            trace_step(step.rule, step.target, step.detail, dict(sorted(step.data.items())))
            for step in scored.trace
        ],
        feedback=render_feedback(
            definition,
            scored,
            locale,
            registry.concepts,
            registry.support_for(wanted, organization),
        ),
    )
