"""Queries over a respondent's past assessments: paged history and one scale's trend."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.assessments.models import SUBMITTED, Assessment, Result
from app.assessments.schemas import (
    HistoryEntry,
    HistoryPage,
    Progress,
    TrendChange,
    TrendPoint,
    TrendRead,
)
from app.errors import NotFound
from app.pagination import encode_cursor, newest_first, split_page
from app.questionnaires.model import Definition
from app.questionnaires.schemas import localized
from app.respondents.models import Respondent
from app.scoring.change import compare
from app.scoring.result import ScoreResult


async def history_page(
    session: AsyncSession,
    respondent: Respondent,
    totals: dict[str, int],
    *,
    limit: int,
    cursor: str | None,
    status: str | None,
) -> HistoryPage:
    """A page of the respondent's assessments, newest first (keyset pagination)."""
    statement = newest_first(
        select(Assessment)
        .where(Assessment.respondent_id == respondent.id)
        .options(selectinload(Assessment.result)),
        Assessment.created_at,
        Assessment.id,
        limit=limit,
        cursor=cursor,
    )
    if status is not None:
        statement = statement.where(Assessment.status == status)
    page, more = split_page(list((await session.execute(statement)).scalars()), limit)
    return HistoryPage(
        items=[_entry(a, totals.get(a.definition_hash, len(a.answers))) for a in page],
        next_cursor=encode_cursor(page[-1].created_at, page[-1].id) if more else None,
    )


def _entry(assessment: Assessment, total: int) -> HistoryEntry:
    scored = ScoreResult.model_validate(assessment.result.score) if assessment.result else None
    return HistoryEntry(
        assessment_id=assessment.id,
        questionnaire_id=assessment.questionnaire_id,
        questionnaire_version=assessment.questionnaire_version,
        status=assessment.status,
        progress=Progress(answered=len(assessment.answers), total=total),
        created_at=assessment.created_at,
        answered_at=assessment.answered_at,
        profile=scored.profile if scored else None,
        flags=scored.flags if scored else [],
        scores={s.id: s.score for s in scored.scales} if scored else {},
    )


async def scale_trend(
    session: AsyncSession,
    respondent: Respondent,
    definition: Definition,
    scale_id: str,
    locale: str,
) -> TrendRead:
    """One scale over the respondent's submitted assessments, with change between scores."""
    try:
        scale = definition.scale(scale_id)
    except KeyError as error:
        raise NotFound(f"{definition.id} has no scale {scale_id!r}.") from error
    statement = (
        select(Assessment, Result)
        .join(Result, Result.assessment_id == Assessment.id)
        .where(
            Assessment.respondent_id == respondent.id,
            Assessment.questionnaire_id == definition.id,
            Assessment.status == SUBMITTED,
        )
        .order_by(Assessment.answered_at, Assessment.id)
    )
    bands = {b.id: b for b in scale.bands}
    points: list[TrendPoint] = []
    for assessment, result in await session.execute(statement):
        try:
            scored = ScoreResult.model_validate(result.score).scale(scale_id)
        except KeyError:
            continue  # an older version without this scale
        band = bands.get(scored.band) if scored.band else None
        points.append(
            TrendPoint(
                assessment_id=assessment.id,
                questionnaire_version=assessment.questionnaire_version,
                answered_at=assessment.answered_at or result.created_at,
                score=scored.score,
                band=scored.band,
                band_label=localized(band.label, locale, definition.default_locale)
                if band
                else None,
            )
        )
    note = localized(scale.reliability_note, locale, "en") if scale.reliability_note else None
    scored_points = [p for p in points if p.score is not None]
    changes = [
        TrendChange(
            from_assessment_id=before.assessment_id,
            to_assessment_id=after.assessment_id,
            change=compare(before.score, after.score, scale.reliability, note),  # type: ignore[arg-type]
        )
        for before, after in itertools.pairwise(scored_points)
    ]
    return TrendRead(
        questionnaire_id=definition.id,
        scale=scale_id,
        title=localized(scale.title, locale, definition.default_locale),
        concept=scale.concept,
        locale=locale,
        points=points,
        changes=changes,
    )
