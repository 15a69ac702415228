"""Lookups of the assessment routes: an assessment of the caller's, or 404.

For a respondent's own token, one query finds the token's live respondent and the assessment
together (the respondent is then the request's `CurrentRespondent` too, with no query of its
own); only when it finds nothing is the token checked alone, to tell 401 from 404. An intake
link's token goes the way of every intake request (`current_respondent`), confined to its
invitation's assessments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy import Select, bindparam, select

from app.assessments.models import SUBMITTED, Assessment, Result
from app.assessments.service import result_of
from app.db import SessionDep
from app.errors import NotFound
from app.intake.scope import invitation_scope, is_intake_token
from app.respondents.dependencies import current_respondent, remember_respondent
from app.respondents.models import Respondent, RespondentToken
from app.respondents.service import authenticate
from app.security import RespondentBearer, hash_token

AssessmentId = Annotated[uuid.UUID, Path(description="The assessment's id.")]


def _by_token(*extra: Any) -> Select[Any]:
    """The assessment with this id and its owner, if the owner holds this live token."""
    return (
        select(Assessment, Respondent, *extra)
        .join(Respondent, Respondent.id == Assessment.respondent_id)
        .join(RespondentToken, RespondentToken.respondent_id == Respondent.id)
        .where(RespondentToken.token_hash == bindparam("token_hash"))
        .where(RespondentToken.revoked_at.is_(None))
        .where(Assessment.id == bindparam("assessment_id"))
    )


#: Built once (the respondent's hot routes run them): the values are parameters.
_OWNED = _by_token()
_OWNED_WITH_RESULT = _by_token(Result).outerjoin(Result, Result.assessment_id == Assessment.id)


@dataclass(frozen=True)
class WithResult:
    """An assessment of the caller's and its result, if it has one."""

    assessment: Assessment
    result: Result | None


async def _owned(
    request: Request,
    session: SessionDep,
    token: str,
    assessment_id: uuid.UUID,
    *,
    with_result: bool,
) -> WithResult:
    if is_intake_token(token):
        respondent = await current_respondent(request, session, token)
        statement = select(Assessment).where(
            Assessment.id == assessment_id, Assessment.respondent_id == respondent.id
        )
        if (scope := invitation_scope(session)) is not None:
            # An intake token reaches only its own invitation's assessments.
            statement = statement.where(Assessment.invitation_id == scope.invitation_id)
        assessment = (await session.execute(statement)).scalar_one_or_none()
        if assessment is None:
            raise NotFound(f"No assessment {assessment_id} of yours.")
        result = await _result_if_any(session, assessment) if with_result else None
        return WithResult(assessment, result)
    params = {"token_hash": hash_token(token), "assessment_id": assessment_id}
    found = (await session.execute(_OWNED_WITH_RESULT if with_result else _OWNED, params)).first()
    if found is None:
        await authenticate(session, token)  # 401 for a token that is not valid
        raise NotFound(f"No assessment {assessment_id} of yours.")
    remember_respondent(request, found[1])
    return WithResult(found[0], found[2] if with_result else None)


async def _result_if_any(session: SessionDep, assessment: Assessment) -> Result | None:
    return await result_of(session, assessment) if assessment.status == SUBMITTED else None


async def owned_assessment(
    request: Request, session: SessionDep, token: RespondentBearer, assessment_id: AssessmentId
) -> Assessment:
    """The caller's assessment with this id; another person's is as absent as a missing one."""
    return (await _owned(request, session, token, assessment_id, with_result=False)).assessment


async def owned_with_result(
    request: Request, session: SessionDep, token: RespondentBearer, assessment_id: AssessmentId
) -> WithResult:
    """`owned_assessment` with its result read in the same query."""
    return await _owned(request, session, token, assessment_id, with_result=True)


OwnedAssessment = Annotated[Assessment, Depends(owned_assessment)]
OwnedWithResult = Annotated[WithResult, Depends(owned_with_result)]
