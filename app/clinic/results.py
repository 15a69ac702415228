"""Queries over clients' results for their therapists: results, trends, attention, acknowledge."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.support import organization_support
from app.assessments.history import scale_trend
from app.assessments.models import SUBMITTED, Assessment, Result
from app.assessments.presenters import present_result
from app.assessments.schemas import Label, ResultRead, TrendRead
from app.clinic.models import Client
from app.clinic.schemas import (
    Acknowledgement,
    AttentionItem,
    AttentionPage,
    ClientResult,
    ClientResultPage,
)
from app.clinic.service import in_scope
from app.db import utcnow
from app.errors import NotFound
from app.i18n import negotiate_locale
from app.pagination import encode_cursor, newest_first, split_page
from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.questionnaires.schemas import localized
from app.questionnaires.service import definition_of
from app.questionnaires.support import OrganizationSupport
from app.respondents.models import Respondent


async def client_results(
    session: AsyncSession,
    registry: Registry,
    client: Client,
    wanted: list[str],
    *,
    limit: int,
    cursor: str | None,
) -> ClientResultPage:
    """A page of the client's submitted results, newest first (keyset on submitted_at)."""
    statement = newest_first(
        select(Assessment, Result)
        .join(Result, Result.assessment_id == Assessment.id)
        .where(Assessment.respondent_id == client.respondent_id, Assessment.status == SUBMITTED),
        Assessment.submitted_at,
        Assessment.id,
        limit=limit,
        cursor=cursor,
    )
    page, more = split_page(list((await session.execute(statement)).all()), limit)
    organization = await organization_support(session, client.organization_id)
    items = [await _client_result(session, registry, wanted, a, r, organization) for a, r in page]
    next_cursor = None
    if more:
        last = page[-1][0]
        assert last.submitted_at is not None  # every submitted assessment has its time
        next_cursor = encode_cursor(last.submitted_at, last.id)
    return ClientResultPage(items=items, next_cursor=next_cursor)


async def _client_result(
    session: AsyncSession,
    registry: Registry,
    wanted: list[str],
    assessment: Assessment,
    result: Result,
    organization: OrganizationSupport | None,
) -> ClientResult:
    definition = await definition_of(session, registry, assessment)
    shown = present_result(assessment, result, definition, registry, wanted, organization)
    return ClientResult(
        **dict(shown),
        result_id=result.id,
        source=assessment.source,
        acknowledged_at=result.acknowledged_at,
    )


async def feedback_as_seen(
    session: AsyncSession, registry: Registry, client: Client, items: list[ClientResult]
) -> dict[uuid.UUID, ResultRead]:
    """The results among `items` that their client saw in another language, presented again
    in that language, by result id (one query for all of them).

    `items` are in the reader's language; the feedback a client was shown is in the one the
    intake form recorded (`Assessment.locale`), so staff can read it exactly as it was seen.
    """
    by_assessment = {item.assessment_id: item for item in items}
    if not by_assessment:
        return {}
    rows = await session.execute(
        select(Assessment, Result)
        .join(Result, Result.assessment_id == Assessment.id)
        .where(Assessment.id.in_(list(by_assessment)), Assessment.locale.is_not(None))
    )
    organization = None
    seen: dict[uuid.UUID, ResultRead] = {}
    for assessment, result in rows:
        item = by_assessment[assessment.id]
        definition = await definition_of(session, registry, assessment)
        assert assessment.locale is not None  # selected so
        if negotiate_locale([assessment.locale], definition.locales, item.locale) == item.locale:
            continue  # seen in the language the reader has it in already
        if organization is None:
            organization = await organization_support(session, client.organization_id)
        seen[item.result_id] = present_result(
            assessment, result, definition, registry, [assessment.locale], organization
        )
    return seen


async def client_trend(
    session: AsyncSession, client: Client, definition: Definition, scale_id: str, locale: str
) -> TrendRead:
    """One scale over the client's results, with reliable change where figures exist."""
    respondent = await session.get_one(Respondent, client.respondent_id)
    return await scale_trend(session, respondent, definition, scale_id, locale)


async def attention(
    session: AsyncSession,
    registry: Registry,
    user: User,
    wanted: list[str],
    *,
    limit: int,
    cursor: str | None,
) -> AttentionPage:
    """Flagged, unacknowledged results of the clients the user may see, newest first."""
    statement = in_scope(
        newest_first(
            select(Result, Assessment, Client)
            .join(Assessment, Assessment.id == Result.assessment_id)
            .join(Client, Client.respondent_id == Assessment.respondent_id)
            .where(Result.flagged.is_(True), Result.acknowledged_at.is_(None)),
            Result.created_at,
            Result.id,
            limit=limit,
            cursor=cursor,
        ),
        user,
    )
    page, more = split_page(list((await session.execute(statement)).all()), limit)
    items = [
        await _attention_item(session, registry, wanted, result, assessment, client)
        for result, assessment, client in page
    ]
    return AttentionPage(
        items=items,
        next_cursor=encode_cursor(page[-1][0].created_at, page[-1][0].id) if more else None,
    )


async def _attention_item(
    session: AsyncSession,
    registry: Registry,
    wanted: list[str],
    result: Result,
    assessment: Assessment,
    client: Client,
) -> AttentionItem:
    definition = await definition_of(session, registry, assessment)
    locale = negotiate_locale(wanted, definition.locales, definition.default_locale)
    labels = {f.id: f.label for f in definition.flags}
    flags = result.score.get("flags", [])
    return AttentionItem(
        result_id=result.id,
        assessment_id=assessment.id,
        client_id=client.id,
        client_label=client.label,
        questionnaire_id=assessment.questionnaire_id,
        questionnaire_version=assessment.questionnaire_version,
        submitted_at=assessment.submitted_at or result.created_at,
        profile=result.profile,
        flags=[
            Label(id=f, label=localized(labels[f], locale, definition.default_locale))
            for f in flags
            if f in labels
        ],
    )


async def find_result(session: AsyncSession, user: User, result_id: uuid.UUID) -> Result:
    """A result of a client the user may see, else 404."""
    statement = in_scope(
        select(Result)
        .join(Assessment, Assessment.id == Result.assessment_id)
        .join(Client, Client.respondent_id == Assessment.respondent_id)
        .where(Result.id == result_id),
        user,
    )
    result = (await session.execute(statement)).scalar_one_or_none()
    if result is None:
        raise NotFound("No such result.")
    return result


async def client_of(session: AsyncSession, result: Result) -> uuid.UUID:
    """The id of the client a result belongs to."""
    statement = (
        select(Client.id)
        .join(Assessment, Assessment.respondent_id == Client.respondent_id)
        .where(Assessment.id == result.assessment_id)
    )
    return (await session.execute(statement)).scalar_one()


async def acknowledge(session: AsyncSession, user: User, result: Result) -> Acknowledgement:
    """Mark a result as seen; it leaves the attention list. The first acknowledgement stays."""
    # Conditional, so two therapists acknowledging at once keep one consistent record.
    await session.execute(
        update(Result)
        .where(Result.id == result.id, Result.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow(), acknowledged_by=user.id)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(result)
    assert result.acknowledged_at is not None  # set just now or before
    return Acknowledgement(
        result_id=result.id,
        acknowledged_at=result.acknowledged_at,
        acknowledged_by=result.acknowledged_by,
    )
