"""Lookups of the assessment routes: an assessment of the caller's, or 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy import select

from app.assessments.models import Assessment
from app.assessments.service import invitation_scope
from app.db import SessionDep
from app.errors import NotFound
from app.respondents.dependencies import CurrentRespondent


async def owned_assessment(
    session: SessionDep,
    respondent: CurrentRespondent,
    assessment_id: Annotated[uuid.UUID, Path(description="The assessment's id.")],
) -> Assessment:
    """The caller's assessment with this id; another person's is as absent as a missing one."""
    statement = select(Assessment).where(
        Assessment.id == assessment_id, Assessment.respondent_id == respondent.id
    )
    if (scope := invitation_scope(session)) is not None:
        # An intake token reaches only its own invitation's assessments.
        statement = statement.where(Assessment.invitation_id == scope.invitation_id)
    assessment = (await session.execute(statement)).scalar_one_or_none()
    if assessment is None:
        raise NotFound(f"No assessment {assessment_id} of yours.")
    return assessment


OwnedAssessment = Annotated[Assessment, Depends(owned_assessment)]
