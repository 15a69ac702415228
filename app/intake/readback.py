"""Reading the feedback again: a submitted link that shows feedback keeps showing it.

Until the invitation expires, opening its link shows the client's feedback page again,
read-only: nothing can be answered or sent any more (a POST is still refused as used).
A link without feedback, a withdrawn one or an expired one stays a "no longer works" page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import SUBMITTED, Assessment, Result
from app.clinic.models import Invitation
from app.intake.service import Completed, Part
from app.questionnaires.registry import Registry
from app.questionnaires.service import definition_of
from app.security import hash_token


async def submitted_feedback(
    session: AsyncSession, registry: Registry, token: str, now: datetime
) -> tuple[Invitation, Completed] | None:
    """The invitation and its results while its feedback may be read again, else None."""
    statement = select(Invitation).where(Invitation.token_hash == hash_token(token))
    invitation = (await session.execute(statement)).scalar_one_or_none()
    if (
        invitation is None
        or invitation.used_at is None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
        or not invitation.show_feedback
    ):
        return None
    rows = await session.execute(
        select(Assessment, Result)
        .join(Result, Result.assessment_id == Assessment.id)
        .where(Assessment.invitation_id == invitation.id, Assessment.status == SUBMITTED)
        .order_by(Assessment.submitted_at, Assessment.id)
    )
    done = {assessment.questionnaire_id: (assessment, result) for assessment, result in rows}
    parts = []
    for reference in invitation.questionnaires:
        if reference["id"] not in done:
            return None  # spent without its answers (e.g. marked used by staff tooling)
        assessment, result = done[reference["id"]]
        definition = await definition_of(session, registry, assessment)
        parts.append((Part(definition, assessment), result))
    return invitation, Completed(parts)
