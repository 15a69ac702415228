"""Use cases of respondents: create, authenticate, consent, export and erase."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.assessments.models import Assessment, Result
from app.db import utcnow
from app.errors import Unauthorized
from app.respondents.models import Respondent, RespondentToken
from app.respondents.schemas import DataExport, Erasure, ExportedAssessment
from app.security import hash_token, new_token

TOKEN_PREFIX = "atr"  # noqa: S105 (a prefix that marks respondent tokens, not a secret)


async def create_respondent(
    session: AsyncSession, *, locale: str | None, research_consent: bool
) -> tuple[Respondent, str]:
    """A new respondent and its token (returned in clear this once)."""
    now = utcnow()
    respondent = Respondent(
        locale=locale,
        research_consent=research_consent,
        research_consent_at=now if research_consent else None,
        created_at=now,
        updated_at=now,
    )
    session.add(respondent)
    await session.flush()
    token = new_token(TOKEN_PREFIX)
    session.add(RespondentToken(token_hash=hash_token(token), respondent_id=respondent.id))
    await session.flush()
    return respondent, token


#: Built once (every authenticated request runs it): the hash is a parameter.
_BY_TOKEN = (
    select(Respondent)
    .join(RespondentToken, RespondentToken.respondent_id == Respondent.id)
    .where(RespondentToken.token_hash == bindparam("token_hash"))
    .where(RespondentToken.revoked_at.is_(None))
)


async def authenticate(session: AsyncSession, token: str) -> Respondent:
    """The respondent a live token belongs to, or 401."""
    found = await session.execute(_BY_TOKEN, {"token_hash": hash_token(token)})
    respondent = found.scalar_one_or_none()
    if respondent is None:
        raise Unauthorized("The bearer token is not valid.")
    return respondent


def set_consent(respondent: Respondent, research: bool) -> None:
    """Record research consent; results submitted from now on carry it."""
    if respondent.research_consent != research:
        respondent.research_consent = research
        respondent.research_consent_at = utcnow()


async def export_data(session: AsyncSession, respondent: Respondent) -> DataExport:
    """Everything stored about a respondent."""
    statement = (
        select(Assessment)
        .where(Assessment.respondent_id == respondent.id)
        .options(selectinload(Assessment.result))
        .order_by(Assessment.created_at, Assessment.id)
    )
    assessments = (await session.execute(statement)).scalars().all()
    return DataExport(
        respondent_id=respondent.id,
        created_at=respondent.created_at,
        locale=respondent.locale,
        research_consent=respondent.research_consent,
        research_consent_at=respondent.research_consent_at,
        assessments=[
            ExportedAssessment(
                id=a.id,
                questionnaire_id=a.questionnaire_id,
                questionnaire_version=a.questionnaire_version,
                status=a.status,
                source=a.source,
                answers=a.answers,
                created_at=a.created_at,
                answered_at=a.answered_at,
                submitted_at=a.submitted_at,
                research_consent=a.research_consent,
                result=a.result.score if a.result else None,
            )
            for a in assessments
        ],
    )


async def erase_respondent(session: AsyncSession, respondent: Respondent) -> Erasure:
    """Delete the respondent with every answer, result and token; say what went."""
    owned = select(Assessment.id).where(Assessment.respondent_id == respondent.id)
    results = await _count(session, select(Result.id).where(Result.assessment_id.in_(owned)))
    assessments = await _count(session, owned)
    tokens = await _count(
        session, select(RespondentToken.id).where(RespondentToken.respondent_id == respondent.id)
    )
    # Explicit deletes, children first: no reliance on the database cascading for us.
    await session.execute(delete(Result).where(Result.assessment_id.in_(owned)))
    await session.execute(delete(Assessment).where(Assessment.respondent_id == respondent.id))
    await session.execute(
        delete(RespondentToken).where(RespondentToken.respondent_id == respondent.id)
    )
    await session.execute(delete(Respondent).where(Respondent.id == respondent.id))
    return Erasure(
        respondent_id=respondent.id, assessments=assessments, results=results, tokens=tokens
    )


async def _count(session: AsyncSession, ids: object) -> int:
    statement = select(func.count()).select_from(ids.subquery())  # type: ignore[attr-defined]
    return int((await session.execute(statement)).scalar_one())
