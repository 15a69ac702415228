"""Use cases of an assessment: start, save answers, submit (once), one-shot offline submit.

Every write is guarded so that retries and races cannot double-submit or lose an update:
`revision` is SQLAlchemy's version counter (an UPDATE that finds another revision fails), a
result is unique per assessment, and a one-shot submission is unique per (respondent, client id).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.assessments.models import IN_PROGRESS, SUBMITTED, Assessment, Result
from app.assessments.storing import insert_submission, insert_submission_by_token
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, PreconditionFailed
from app.intake.scope import first_of_its_questionnaire, invitation_scope
from app.metrics import count_scored
from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.questionnaires.service import definition_of
from app.respondents.models import Respondent
from app.scoring import check_answers, score
from app.scoring.result import ScoreResult


@dataclass(frozen=True)
class Submitted:
    """A submitted assessment with its result; `replayed` when a retry found it done."""

    assessment: Assessment
    result: Result
    replayed: bool
    #: The score as computed, when it was computed by this request (not read back).
    scored: ScoreResult | None = None


def resolve_definition(
    registry: Registry, questionnaire_id: str, version: str | None
) -> Definition:
    """The definition a request body names, or 422 pointing at the field."""
    try:
        return registry.offered(questionnaire_id, version)
    except LookupError as error:
        known = any(d.id == questionnaire_id for d in registry.latest_offered())
        field = "version" if version is not None and known else "questionnaire_id"
        raise InvalidInput(
            "No such questionnaire or version.",
            errors=[{"pointer": f"#/{field}", "detail": str(error).strip("'\"")}],
        ) from error


def validate_answers(definition: Definition, answers: Mapping[str, object]) -> None:
    """422 naming every answer that is not an item of the definition or not one of its options."""
    problems = check_answers(definition, answers)
    if problems:
        raise InvalidInput(
            f"{len(problems)} answer(s) cannot be accepted for {definition.key}.",
            errors=[
                {"pointer": f"#/answers/{item}", "detail": detail} for item, detail in problems
            ],
        )


async def start_assessment(
    session: AsyncSession,
    registry: Registry,
    respondent: Respondent,
    definition: Definition,
    answers: Mapping[str, int],
    *,
    source: str = "app",
    invitation_id: uuid.UUID | None = None,
) -> Assessment:
    """A new in-progress assessment, with any answers already given.

    Under an intake token's scope it can only be one of the invitation's questionnaires, and
    it belongs to that invitation.
    """
    scope = invitation_scope(session)
    if scope is not None:
        if (definition.id, definition.version) not in scope.questionnaires:
            raise Forbidden(f"This intake link does not ask for {definition.key}.")
        await first_of_its_questionnaire(session, scope.invitation_id, definition.id)
        source, invitation_id = "intake", scope.invitation_id
    validate_answers(definition, answers)
    now = utcnow()
    assessment = Assessment(
        respondent_id=respondent.id,
        questionnaire_id=definition.id,
        questionnaire_version=definition.version,
        definition_hash=registry.hash(definition),
        source=source,
        invitation_id=invitation_id,
        answers=dict(answers),
        created_at=now,
        updated_at=now,
    )
    session.add(assessment)
    await session.flush()
    return assessment


async def save_answers(
    session: AsyncSession,
    registry: Registry,
    assessment: Assessment,
    changes: Mapping[str, int | None],
    if_match: int | None,
) -> Assessment:
    """Merge answers into an in-progress assessment; `None` removes one.

    With `if_match`, the save applies only to that revision (412 otherwise), so two devices
    saving at once cannot silently overwrite each other.
    """
    _require_in_progress(assessment)
    require_offered(registry, assessment)
    if if_match is not None and if_match != assessment.revision:
        raise PreconditionFailed(
            f"The assessment is at revision {assessment.revision}, not {if_match}: "
            "fetch it again and re-apply the change.",
            revision=assessment.revision,
        )
    definition = await definition_of(session, registry, assessment)
    validate_answers(definition, {k: v for k, v in changes.items() if v is not None})
    answers = dict(assessment.answers)
    for item_id, value in changes.items():
        if value is None:
            answers.pop(item_id, None)
        else:
            answers[item_id] = value
    assessment.answers = answers
    assessment.updated_at = utcnow()
    try:
        await session.flush()
    except StaleDataError as error:
        raise PreconditionFailed(
            "Another save changed the assessment at the same moment; fetch it again."
        ) from error
    return assessment


async def submit_assessment(
    session: AsyncSession,
    registry: Registry,
    assessment: Assessment,
    respondent: Respondent,
    idempotency_key: str,
) -> Submitted:
    """Score and submit, once. The same Idempotency-Key again returns the first result."""
    if assessment.status == SUBMITTED:
        if assessment.idempotency_key == idempotency_key:
            return Submitted(assessment, await result_of(session, assessment), replayed=True)
        raise Conflict(
            "This assessment was already submitted.",
            result=f"/v1/assessments/{assessment.id}/result",
        )
    require_offered(registry, assessment)
    definition = await definition_of(session, registry, assessment)
    if not assessment.answers:
        raise InvalidInput(
            "There are no answers to submit yet.",
            errors=[{"pointer": "#/answers", "detail": "answer at least one item first"}],
        )
    scored = score(definition, assessment.answers, definition_hash=assessment.definition_hash)
    now = utcnow()
    assessment.status = SUBMITTED
    assessment.idempotency_key = idempotency_key
    assessment.submitted_at = now
    assessment.answered_at = assessment.answered_at or now
    assessment.updated_at = now
    assessment.research_consent = respondent.research_consent
    result = _result_row(assessment, scored)
    session.add(result)
    try:
        await session.flush()
    except (StaleDataError, IntegrityError) as error:
        # Another request submitted it between our read and our write.
        raise Conflict("This assessment is being submitted by another request.") from error
    count_scored(session, assessment.questionnaire_id, assessment.source)
    return Submitted(assessment, result, replayed=False, scored=scored)


async def submit_offline(
    session: AsyncSession,
    registry: Registry,
    respondent: Respondent,
    client_id: uuid.UUID,
    definition: Definition,
    answers: Mapping[str, int],
    answered_at: datetime,
) -> Submitted:
    """Store and score a whole assessment once per client id; a retry gets the first result."""
    row, scored_row, scored = _offline_rows(registry, client_id, definition, answers, answered_at)
    row |= {"respondent_id": respondent.id, "research_consent": respondent.research_consent}
    # Optimistic: most submissions are new. A retry (or the same one sent twice at once)
    # finds the row the first one stored and gets that one's result.
    if not await insert_submission(session, row, scored_row):
        existing = await _by_client_id(session, respondent, client_id)
        if existing is None:  # pragma: no cover - the conflicting row cannot vanish mid-transaction
            raise Conflict("This submission is being stored by another request; retry.")
        return await _replay(session, existing, row["request_hash"])
    count_scored(session, definition.id, row["source"])
    return _stored(row, scored_row, scored)


@dataclass(frozen=True)
class Prepared:
    """A one-shot submission scored and ready to store: its rows, and the objects to present."""

    row: dict[str, Any]
    result_row: dict[str, Any]
    submitted: Submitted


def prepare_offline(
    registry: Registry,
    client_id: uuid.UUID,
    definition: Definition,
    answers: Mapping[str, int],
    answered_at: datetime,
) -> Prepared:
    """Validate and score a one-shot submission without storing it (422 for bad answers).

    The rows leave out the respondent's columns: `store_offline_by_token` takes them from
    the token's row in the same statement.
    """
    row, result_row, scored = _offline_rows(registry, client_id, definition, answers, answered_at)
    return Prepared(row, result_row, _stored(row, result_row, scored))


async def store_offline_by_token(
    connection: AsyncConnection, token_hash: str, prepared: Prepared
) -> bool:
    """Store a prepared submission for the holder of a live respondent token; True if stored.

    The token's respondent is looked up inside the INSERT itself (`insert_submission_by_token`),
    so a new submission costs no separate authentication query. False when nothing was
    inserted (the token is unknown or revoked, or the client id is stored already: a retry):
    the caller then takes the full route, which tells those apart (401, replay or 409).
    The caller commits, and counts the scored result once it has (`metrics.observe_scored`).
    """
    return await insert_submission_by_token(
        connection, token_hash, prepared.row, prepared.result_row
    )


def _offline_rows(
    registry: Registry,
    client_id: uuid.UUID,
    definition: Definition,
    answers: Mapping[str, int],
    answered_at: datetime,
) -> tuple[dict[str, Any], dict[str, Any], ScoreResult]:
    """A one-shot submission's assessment row (but its respondent's columns), result, score."""
    answered_at = answered_at.astimezone(UTC)
    fingerprint = _fingerprint(definition, answers, answered_at)
    validate_answers(definition, answers)
    definition_hash = registry.hash(definition)
    scored = score(definition, answers, definition_hash=definition_hash)
    now = utcnow()
    row = {
        "id": uuid.uuid4(),
        "questionnaire_id": definition.id,
        "questionnaire_version": definition.version,
        "definition_hash": definition_hash,
        "status": SUBMITTED,
        "source": "app",
        "revision": 1,
        "answers": dict(answers),
        "client_id": client_id,
        "request_hash": fingerprint,
        "answered_at": answered_at,
        "submitted_at": now,
        "created_at": now,
        "updated_at": now,
    }
    return row, _result_values(scored, now), scored


def _stored(row: dict[str, Any], scored_row: dict[str, Any], scored: ScoreResult) -> Submitted:
    """The just-inserted submission as detached objects (no session tracks them)."""
    assessment = Assessment(**row)
    result = Result(**scored_row, assessment_id=assessment.id)
    return Submitted(assessment, result, replayed=False, scored=scored)


async def result_of(session: AsyncSession, assessment: Assessment) -> Result:
    """The stored result of a submitted assessment."""
    statement = select(Result).where(Result.assessment_id == assessment.id)
    return (await session.execute(statement)).scalar_one()


def require_offered(registry: Registry, assessment: Assessment) -> None:
    """403 for answering a questionnaire that is no longer offered here.

    An assessment started while the operator had a `requires_permission` questionnaire
    enabled stays stored (and its results, if submitted, still show and rescore), but it is
    not answered or scored after the questionnaire is turned off: while off it is not
    servable. `Registry.is_offered` is the same rule that lists and invites.
    """
    if not registry.is_offered(assessment.questionnaire_id):
        raise Forbidden(
            f"The questionnaire {assessment.questionnaire_id} is no longer offered here, so "
            "this assessment cannot be answered or submitted.",
            questionnaire_id=assessment.questionnaire_id,
        )


def _require_in_progress(assessment: Assessment) -> None:
    if assessment.status != IN_PROGRESS:
        raise Conflict(
            "This assessment was already submitted; its answers cannot change.",
            result=f"/v1/assessments/{assessment.id}/result",
        )


def _result_row(assessment: Assessment, scored: ScoreResult) -> Result:
    values = _result_values(scored, assessment.submitted_at or utcnow())
    return Result(**values, assessment_id=assessment.id)


def _result_values(scored: ScoreResult, created_at: datetime) -> dict[str, Any]:
    """A result row's columns but its assessment's id."""
    return {
        "id": uuid.uuid4(),
        "definition_hash": scored.definition_hash,
        "engine_version": scored.engine_version,
        "score": scored.model_dump(mode="json"),
        "profile": scored.profile,
        "flagged": bool(scored.flags),
        "created_at": created_at,
    }


async def _by_client_id(
    session: AsyncSession, respondent: Respondent, client_id: uuid.UUID
) -> Assessment | None:
    statement = select(Assessment).where(
        Assessment.respondent_id == respondent.id, Assessment.client_id == client_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _replay(session: AsyncSession, existing: Assessment, fingerprint: str) -> Submitted:
    if existing.request_hash != fingerprint:
        raise Conflict(
            "A different submission was already stored under this id; "
            "send new answers with a new id.",
            assessment=f"/v1/assessments/{existing.id}",
        )
    return Submitted(existing, await result_of(session, existing), replayed=True)


def _fingerprint(definition: Definition, answers: Mapping[str, int], answered_at: datetime) -> str:
    """What identifies a one-shot payload, so a retry can be told from a different one."""
    canonical = json.dumps(
        {
            "questionnaire": definition.key,
            "answers": dict(sorted(answers.items())),
            "answered_at": answered_at.timestamp(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
