"""/v1/assessments, /v1/submissions, /v1/me/assessments and /v1/me/trends."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from app.accounts.attention import notify_flagged
from app.accounts.support import invitation_support
from app.assessments import history, service
from app.assessments.dependencies import OwnedAssessment, OwnedWithResult
from app.assessments.models import SUBMITTED, Assessment
from app.assessments.oneshot import SubmissionRoute
from app.assessments.presenters import present_assessment, present_result
from app.assessments.schemas import (
    AnswersUpdate,
    AssessmentCreate,
    AssessmentRead,
    AssessmentStatus,
    HistoryPage,
    ResultRead,
    SubmissionCreate,
    SubmissionRead,
    TrendRead,
)
from app.contract import REQUIRED, sent
from app.db import SessionDep, no_transaction
from app.errors import BadRequest, Conflict, Forbidden, InvalidInput
from app.i18n import negotiate_locale
from app.intake.completion import submit_through_link
from app.intake.scope import invitation_scope
from app.problems import problems
from app.questionnaires.dependencies import (
    RegistryDep,
    WantedLocales,
    questionnaire_from_path,
)
from app.questionnaires.model import SLUG
from app.questionnaires.service import definition_of
from app.respondents.dependencies import CurrentRespondent

router = APIRouter(prefix="/v1", tags=["assessments"])

IDEMPOTENCY_KEY_DOC = (
    "A unique value per submit attempt (a UUID): retries with the same key get the first "
    "result back instead of an error."
)


def _etag(assessment: Assessment) -> dict[str, str]:
    return {"ETag": f'"{assessment.revision}"', "Location": f"/v1/assessments/{assessment.id}"}


def _if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError as error:
        raise InvalidInput(
            "If-Match must be an ETag this API returned.",
            errors=[{"parameter": "If-Match", "detail": f"not an ETag of ours: {value!r}"}],
        ) from error


@router.post(
    "/assessments",
    status_code=status.HTTP_201_CREATED,
    response_model=AssessmentRead,
    responses=problems(401, 403, 409, 413, 422) | sent(201, "ETag", "Location"),
)
async def create_assessment(
    body: AssessmentCreate,
    response: Response,
    session: SessionDep,
    registry: RegistryDep,
    respondent: CurrentRespondent,
) -> AssessmentRead:
    """Start an assessment of a questionnaire (latest version unless one is named).

    Under an intake link's token, once per questionnaire of the link: again is a 409 naming
    the `assessment` already made (by the form or an earlier call), which is the one to answer.
    """
    definition = service.resolve_definition(registry, body.questionnaire_id, body.version)
    assessment = await service.start_assessment(
        session, registry, respondent, definition, body.answers
    )
    response.headers.update(_etag(assessment))
    return present_assessment(assessment, definition)


@router.get(
    "/assessments/{assessment_id}",
    response_model=AssessmentRead,
    responses=problems(401, 404, 422) | sent(200, "ETag", "Location"),
    dependencies=[Depends(no_transaction)],
)
async def get_assessment(
    assessment: OwnedAssessment, response: Response, session: SessionDep, registry: RegistryDep
) -> AssessmentRead:
    """Get an assessment with its answers so far: resume where the person left off."""
    definition = await definition_of(session, registry, assessment)
    response.headers.update(_etag(assessment))
    return present_assessment(assessment, definition)


@router.put(
    "/assessments/{assessment_id}/answers",
    response_model=AssessmentRead,
    responses=problems(401, 403, 404, 409, 412, 413, 422) | sent(200, "ETag", "Location"),
    # One UPDATE, guarded by the revision it read, after every check: no transaction needed.
    dependencies=[Depends(no_transaction)],
)
async def save_answers(
    body: AnswersUpdate,
    assessment: OwnedAssessment,
    response: Response,
    session: SessionDep,
    registry: RegistryDep,
    if_match: Annotated[
        str | None,
        Header(description="The ETag last seen; the save fails with 412 if it is stale."),
    ] = None,
) -> AssessmentRead:
    """Save some answers (partial and repeatable); `null` removes one. Send If-Match."""
    assessment = await service.save_answers(
        session, registry, assessment, body.answers, _if_match(if_match)
    )
    definition = await definition_of(session, registry, assessment)
    response.headers.update(_etag(assessment))
    return present_assessment(assessment, definition)


@router.post(
    "/assessments/{assessment_id}/submit",
    response_model=ResultRead,
    responses=problems(
        400,
        401,
        403,
        404,
        409,
        410,
        422,
        success={204: "Submitted under an intake link whose results go to the therapist only."},
    )
    | sent(200, "Idempotent-Replayed", description="The result (again, on a retry)."),
)
async def submit_assessment(
    assessment: OwnedAssessment,
    request: Request,
    response: Response,
    session: SessionDep,
    registry: RegistryDep,
    respondent: CurrentRespondent,
    wanted: WantedLocales,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=255, description=IDEMPOTENCY_KEY_DOC, json_schema_extra=REQUIRED),
    ] = None,
) -> ResultRead | Response:
    """Submit the answers and get the scored result with feedback. Safe to retry.

    Needs an `Idempotency-Key` header. A retry with the same key returns the first result
    (with `Idempotent-Replayed: true`); a submit with another key after success is a 409.
    Under an intake link whose therapist chose not to show feedback, the answer is 204 with
    no result, as the form shows a thank-you page; a link revoked or expired meanwhile, 410.
    """
    if not idempotency_key:
        raise BadRequest(
            "Submitting needs an Idempotency-Key header so that retries are safe.",
            errors=[{"parameter": "Idempotency-Key", "detail": "required"}],
        )
    if assessment.invitation_id is not None:
        submitted = await submit_through_link(
            session, registry, assessment, respondent, idempotency_key
        )
        # Once per flagged result (its dedup key), to a therapist who opted in.
        await notify_flagged(session, request.app.state.settings, assessment.invitation_id)
    else:
        submitted = await service.submit_assessment(
            session, registry, assessment, respondent, idempotency_key
        )
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if _feedback_withheld(session):
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers=dict(response.headers))
    definition = await definition_of(session, registry, assessment)
    organization = await invitation_support(session, assessment.invitation_id)
    return present_result(assessment, submitted.result, definition, registry, wanted, organization)


def _feedback_withheld(session: SessionDep) -> bool:
    """Whether the request came through an intake link that does not show results."""
    scope = invitation_scope(session)
    return scope is not None and not scope.show_feedback


@router.get(
    "/assessments/{assessment_id}/result",
    response_model=ResultRead,
    responses=problems(401, 403, 404, 409, 422),
    dependencies=[Depends(no_transaction)],
)
async def get_result(
    found: OwnedWithResult,
    response: Response,
    session: SessionDep,
    registry: RegistryDep,
    wanted: WantedLocales,
) -> ResultRead:
    """Get the scores, the rule trace and the feedback of a submitted assessment.

    Under an intake link whose therapist chose not to show feedback: 403.
    """
    if _feedback_withheld(session):
        raise Forbidden("The results of this intake link go to your therapist.")
    assessment, result = found.assessment, found.result
    if assessment.status != SUBMITTED or result is None:
        raise Conflict("This assessment is not submitted yet, so it has no result.")
    definition = await definition_of(session, registry, assessment)
    response.headers["Cache-Control"] = "no-store"
    organization = await invitation_support(session, assessment.invitation_id)
    return present_result(assessment, result, definition, registry, wanted, organization)


async def create_submission(
    body: SubmissionCreate,
    response: Response,
    session: SessionDep,
    registry: RegistryDep,
    respondent: CurrentRespondent,
    wanted: WantedLocales,
) -> SubmissionRead:
    """Submit a whole assessment answered offline, in one request. Safe to retry.

    The client makes the `id`. Sending the same id with the same content again returns the
    first result with 200; the same id with different content is a 409.
    """
    definition = service.resolve_definition(registry, body.questionnaire_id, body.version)
    submitted = await service.submit_offline(
        session, registry, respondent, body.id, definition, body.answers, body.answered_at
    )
    if submitted.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/assessments/{submitted.assessment.id}"
    stored = await definition_of(session, registry, submitted.assessment)
    return SubmissionRead(
        client_id=body.id,
        assessment=present_assessment(submitted.assessment, stored),
        result=present_result(submitted.assessment, submitted.result, stored, registry, wanted),
    )


# Declared here as the others are (the OpenAPI document lists it in this place), with the route
# class that answers a new submission without the dependency machinery (`oneshot.py`).
router.add_api_route(
    "/submissions",
    create_submission,
    methods=["POST"],
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionRead,
    responses=problems(401, 403, 409, 413, 422)
    | sent(201, "Location", description="Stored and scored.")
    | sent(
        200,
        "Location",
        "Idempotent-Replayed",
        description="A retry: the submission stored the first time, with its result.",
        model=SubmissionRead,
    ),
    route_class_override=SubmissionRoute,
)


@router.get("/me/assessments", response_model=HistoryPage, responses=problems(401, 403, 422))
async def list_my_assessments(
    session: SessionDep,
    registry: RegistryDep,
    respondent: CurrentRespondent,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size (at most 100).")] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    status_filter: Annotated[AssessmentStatus | None, Query(alias="status")] = None,
) -> HistoryPage:
    """List the caller's assessments, newest first: in-progress ones to resume, and results."""
    totals = {registry.hash(d): len(d.items) for d in registry.all()}
    return await history.history_page(
        session,
        respondent,
        totals,
        limit=limit,
        cursor=cursor,
        status=status_filter,
    )


@router.get("/me/trends", response_model=TrendRead, responses=problems(401, 403, 404, 422))
async def get_my_trend(
    session: SessionDep,
    registry: RegistryDep,
    respondent: CurrentRespondent,
    wanted: WantedLocales,
    questionnaire: Annotated[str, Query(pattern=SLUG, examples=["window-of-tolerance"])],
    scale: Annotated[str, Query(pattern=SLUG, examples=["hyperarousal"])],
) -> TrendRead:
    """One scale over time: every submitted score, and the change between consecutive ones.

    The change is a reliable change index (Jacobson & Truax, 1991) where the questionnaire
    publishes SD and reliability for the scale; otherwise the raw change, saying why.
    """
    definition = await questionnaire_from_path(registry, questionnaire)
    locale = negotiate_locale(wanted, definition.locales, definition.default_locale)
    return await history.scale_trend(session, respondent, definition, scale, locale)
