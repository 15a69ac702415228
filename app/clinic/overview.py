"""A therapist's overview for the console's dashboard, in a fixed number of queries.

Per client and questionnaire: the latest result and the one before it (a window function
keeps two rows per pair, however many results there are), each scale's score and band, and
the change between the two (reliable change where the scale publishes figures). Pending
intake links with their progress. The query count does not grow with the number of clients.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.assessments.models import SUBMITTED, Assessment, Result
from app.clinic.models import Client, Invitation
from app.clinic.service import in_scope
from app.db import utcnow
from app.intake.scope import offered_references
from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.questionnaires.schemas import localized
from app.questionnaires.service import definition_of
from app.scoring.change import Change, compare
from app.scoring.result import ScoreResult


@dataclass(frozen=True)
class ScaleLine:
    """One scale of the latest result: score, band (named, never colour alone), change."""

    title: str
    score: float | None
    band: str | None
    band_label: str | None
    change: Change | None


@dataclass(frozen=True)
class LatestResult:
    """The latest result of one questionnaire for a client."""

    questionnaire_id: str
    title: str
    answered_at: datetime
    flagged: bool
    scales: list[ScaleLine]


@dataclass(frozen=True)
class PendingIntake:
    """A live intake link and how far the client got."""

    invitation_id: uuid.UUID
    answered: int
    total: int
    last_saved: datetime | None
    expires_at: datetime


@dataclass
class ClientOverview:
    """One client on the dashboard."""

    client: Client
    latest: list[LatestResult] = field(default_factory=list)
    pending: list[PendingIntake] = field(default_factory=list)


async def overview(
    session: AsyncSession, registry: Registry, user: User, locale: str = "en"
) -> list[ClientOverview]:
    """Every client the user may see, by label, with latest results and pending intakes
    (titles and bands in `locale` where the definition has it)."""
    clients = list(
        (await session.execute(in_scope(select(Client), user).order_by(Client.label, Client.id)))
        .scalars()
        .all()
    )
    rows = {c.respondent_id: ClientOverview(c) for c in clients}
    await _add_latest(session, registry, user, rows, locale)
    await _add_pending(session, registry, user, {r.client.id: r for r in rows.values()})
    return list(rows.values())


async def _add_latest(
    session: AsyncSession,
    registry: Registry,
    user: User,
    rows: dict[uuid.UUID, ClientOverview],
    locale: str,
) -> None:
    when = func.coalesce(Assessment.answered_at, Assessment.submitted_at)
    rank = (
        func.row_number()
        .over(
            partition_by=(Assessment.respondent_id, Assessment.questionnaire_id),
            order_by=(when.desc(), Assessment.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        in_scope(
            select(Assessment.id.label("assessment_id"), Result.id.label("result_id"), rank)
            .join(Result, Result.assessment_id == Assessment.id)
            .join(Client, Client.respondent_id == Assessment.respondent_id)
            .where(Assessment.status == SUBMITTED),
            user,
        )
    ).subquery()
    statement = (
        select(Assessment, Result, ranked.c.rank)
        .join(ranked, ranked.c.assessment_id == Assessment.id)
        .join(Result, Result.id == ranked.c.result_id)
        .where(ranked.c.rank <= 2)
        .order_by(Assessment.respondent_id, Assessment.questionnaire_id, ranked.c.rank)
    )
    pairs: dict[tuple[uuid.UUID, str], list[tuple[Assessment, Result]]] = defaultdict(list)
    for assessment, result, _ in await session.execute(statement):
        pairs[(assessment.respondent_id, assessment.questionnaire_id)].append((assessment, result))
    for (respondent_id, _), found in pairs.items():
        latest, previous = found[0], found[1] if len(found) > 1 else None
        definition = await definition_of(session, registry, latest[0])
        rows[respondent_id].latest.append(_latest(definition, latest, previous, locale))
    for row in rows.values():
        row.latest.sort(key=lambda r: r.title)


def _latest(
    definition: Definition,
    latest: tuple[Assessment, Result],
    previous: tuple[Assessment, Result] | None,
    locale: str,
) -> LatestResult:
    assessment, result = latest
    scored = ScoreResult.model_validate(result.score)
    before = ScoreResult.model_validate(previous[1].score) if previous else None
    lines = []
    for scale in definition.scales:
        try:
            now = scored.scale(scale.id)
        except KeyError:
            continue
        bands = {b.id: b for b in scale.bands}
        band = bands.get(now.band) if now.band else None
        change = None
        if before is not None and now.score is not None:
            try:
                then = before.scale(scale.id).score
            except KeyError:
                then = None
            if then is not None:
                note = (
                    localized(scale.reliability_note, locale, "en")
                    if scale.reliability_note
                    else None
                )
                change = compare(then, now.score, scale.reliability, note)
        lines.append(
            ScaleLine(
                title=localized(scale.title, locale, definition.default_locale),
                score=now.score,
                band=now.band,
                band_label=localized(band.label, locale, definition.default_locale)
                if band
                else None,
                change=change,
            )
        )
    return LatestResult(
        questionnaire_id=definition.id,
        title=localized(definition.title, locale, definition.default_locale),
        answered_at=assessment.answered_at or result.created_at,
        flagged=result.flagged,
        scales=lines,
    )


async def _add_pending(
    session: AsyncSession, registry: Registry, user: User, rows: dict[uuid.UUID, ClientOverview]
) -> None:
    now = utcnow()
    statement = in_scope(
        select(Invitation)
        .join(Client, Client.id == Invitation.client_id)
        .where(
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.created_at),
        user,
    )
    invitations = list((await session.execute(statement)).scalars())
    if not invitations:
        return
    started = select(Assessment).where(Assessment.invitation_id.in_([i.id for i in invitations]))
    progress: dict[uuid.UUID, list[Assessment]] = defaultdict(list)
    for assessment in (await session.execute(started)).scalars():
        assert assessment.invitation_id is not None  # selected by it
        progress[assessment.invitation_id].append(assessment)
    for invitation in invitations:
        # Only what the form still serves counts: a questionnaire the operator has turned off
        # since (`Registry.is_offered`, the intake's rule) is skipped there, so it is here too,
        # or the link could never show as complete.
        served = offered_references(registry, invitation)
        offered = {ref["id"] for ref in served}
        total = 0
        for ref in served:
            try:
                total += len(registry.get(ref["id"], ref["version"]).items)
            except LookupError:
                continue  # a retired definition: its items are not counted
        answers = [a for a in progress[invitation.id] if a.questionnaire_id in offered]
        rows[invitation.client_id].pending.append(
            PendingIntake(
                invitation_id=invitation.id,
                answered=sum(len(a.answers) for a in answers),
                total=total,
                last_saved=max((a.updated_at for a in answers), default=None),
                expires_at=invitation.expires_at,
            )
        )
