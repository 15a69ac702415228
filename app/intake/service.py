"""Use cases of an intake link: open it, answer its questionnaires, submit them once.

The link's token is the only credential. Answers go through the same assessment use cases as
the API (start, save, submit, score): the intake has no scoring of its own. An invitation is
single-use at submit; two windows submitting at once get one winner, by a conditional UPDATE.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.assessments.models import SUBMITTED, Assessment, Result
from app.assessments.service import (
    result_of,
    save_answers,
    start_assessment,
    submit_assessment,
)
from app.clinic.models import Client, Invitation
from app.db import utcnow
from app.errors import Conflict, Gone, InvalidInput, NotFound, Unauthorized
from app.i18n import negotiate_locale
from app.intake.completion import announce_intake, claim_link, refusal
from app.intake.scope import InvitationScope, offered_references
from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.questionnaires.service import definition_of
from app.respondents.models import Respondent
from app.respondents.service import set_consent
from app.security import hash_token


class MissingAnswers(InvalidInput):
    """Some items have no answer; `missing` lists them per questionnaire, in form order."""

    def __init__(self, missing: dict[str, list[str]]) -> None:
        super().__init__(
            f"{sum(map(len, missing.values()))} question(s) still need an answer.",
            errors=[
                {"pointer": f"#/{questionnaire}/{item}", "detail": "needs an answer"}
                for questionnaire, items in missing.items()
                for item in items
            ],
        )
        self.missing = missing


@dataclass(frozen=True)
class Part:
    """One questionnaire of an intake: its definition and the assessment answering it."""

    definition: Definition
    assessment: Assessment


@dataclass(frozen=True)
class Completed:
    """A submitted intake: each part with its result."""

    parts: list[tuple[Part, Result]]


async def open_invitation(session: AsyncSession, token: str) -> tuple[Invitation, Client]:
    """The invitation of a link and its client; 404 if unknown, 410 (with `reason`) if spent."""
    statement = (
        select(Invitation, Client)
        .join(Client, Client.id == Invitation.client_id)
        .where(Invitation.token_hash == hash_token(token))
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise NotFound("No intake link with this address.")
    invitation, client = row
    reason = refusal(invitation, utcnow())
    if reason is not None:
        raise Gone("This link can no longer be used.", reason=reason)
    return invitation, client


async def authenticate_invitation(
    session: AsyncSession, token: str
) -> tuple[Respondent, InvitationScope]:
    """The client's respondent and the scope of a live intake token, for the API; else 401."""
    try:
        invitation, client = await open_invitation(session, token)
    except (NotFound, Gone) as error:
        raise Unauthorized("The bearer token is not valid.") from error
    respondent = await session.get(Respondent, client.respondent_id)
    if respondent is None:  # pragma: no cover - the foreign key keeps the respondent
        raise Unauthorized("The bearer token is not valid.")
    questionnaires = frozenset((q["id"], q["version"]) for q in invitation.questionnaires)
    return respondent, InvitationScope(invitation.id, questionnaires, invitation.show_feedback)


def withdrawn(registry: Registry, invitation: Invitation) -> list[Definition]:
    """The invitation's questionnaires no longer offered here, for the form to name kindly."""
    return [
        registry.get(q["id"], q["version"])
        for q in invitation.questionnaires
        if not registry.is_offered(q["id"])
    ]


async def time_zone_of(session: AsyncSession, organization_id: uuid.UUID) -> str:
    """The organization's time zone (its setting for schedules), for dates on the form."""
    # `session.get`: the organization is often loaded already (its support lines), and then
    # this asks the database nothing.
    organization = await session.get(Organization, organization_id)
    return (organization.time_zone if organization is not None else None) or "UTC"


async def intake_assessments(
    session: AsyncSession, registry: Registry, invitation: Invitation, client: Client
) -> list[Part]:
    """One assessment per offered questionnaire of the invitation, in its order (410 if none).

    Made on the first visit and found again on later ones (also one an app submitted with
    the link's token), so a person resumes where they left off. The invitation row is locked
    while they are made (PostgreSQL; SQLite's write transactions are serial already), so two
    first visits at once make one set.
    """
    offered = offered_references(registry, invitation)
    found = await _existing(session, invitation)
    if any(reference["id"] not in found for reference in offered):
        await session.execute(
            select(Invitation.id).where(Invitation.id == invitation.id).with_for_update()
        )
        found = await _existing(session, invitation)
    respondent = await _respondent(session, client)
    parts = []
    for reference in offered:
        definition = registry.get(reference["id"], reference["version"])
        assessment = found.get(definition.id)
        if assessment is None:
            assessment = await start_assessment(
                session, registry, respondent, definition, {},
                source="intake", invitation_id=invitation.id,
            )  # fmt: skip
        parts.append(Part(await definition_of(session, registry, assessment), assessment))
    if not parts:
        raise Gone("No questionnaire of this link is offered here any more.", reason="withdrawn")
    return parts


async def save_intake_answers(
    session: AsyncSession, registry: Registry, part: Part, answers: Mapping[str, int | None]
) -> None:
    """Save the answers given on one page of the form (`None` clears one).

    A part already submitted (through the app, with the link's token) keeps its answers.
    """
    if part.assessment.status == SUBMITTED:
        return
    changes = {k: v for k, v in answers.items() if part.assessment.answers.get(k) != v}
    if changes:
        await save_answers(session, registry, part.assessment, changes, if_match=None)


def missing_answers(parts: list[Part]) -> dict[str, list[str]]:
    """The items without an answer, per questionnaire (only those with any missing)."""
    missing = {
        part.definition.id: [
            item.id for item in part.definition.items if item.id not in part.assessment.answers
        ]
        for part in parts
    }
    return {questionnaire: items for questionnaire, items in missing.items() if items}


async def submit_intake(
    session: AsyncSession,
    registry: Registry,
    invitation: Invitation,
    client: Client,
    parts: list[Part],
    consent: bool,
    locale: str | None = None,
) -> Completed:
    """Submit every part once every item is answered, and spend the link.

    Missing answers: 422 listing them, nothing submitted. The link is claimed first with a
    conditional UPDATE, so of two submits at once exactly one gets past it (409 for the
    other), and of a submit and a revoke (or the link expiring) exactly one wins (410).
    """
    if missing := missing_answers(parts):
        raise MissingAnswers(missing)
    now = utcnow()
    if not await claim_link(session, invitation, now, consent):
        await session.refresh(invitation)
        reason = refusal(invitation, now)
        if reason in ("revoked", "expired"):
            raise Gone("This link can no longer be used.", reason=reason)
        raise Conflict("This link was just used in another window.")
    # The assessments take their consent from the respondent when they are submitted.
    respondent = await _respondent(session, client)
    set_consent(respondent, consent)
    completed = []
    for part in parts:
        if part.assessment.status == SUBMITTED:  # through the app, before the form
            completed.append((part, await result_of(session, part.assessment)))
            continue
        if locale is not None:  # what the feedback page is about to be shown in
            part.assessment.locale = negotiate_locale(
                [locale], part.definition.locales, part.definition.default_locale
            )
        key = f"intake:{invitation.id}:{part.assessment.id}"
        submitted = await submit_assessment(session, registry, part.assessment, respondent, key)
        completed.append((part, submitted.result))
    await announce_intake(session, invitation, [(p.assessment, r) for p, r in completed], now)
    return Completed(completed)


async def _existing(session: AsyncSession, invitation: Invitation) -> dict[str, Assessment]:
    """The assessment of each questionnaire of the invitation: a submitted one, else the oldest."""
    statement = (
        select(Assessment)
        .where(Assessment.invitation_id == invitation.id)
        .order_by(Assessment.status != SUBMITTED, Assessment.created_at, Assessment.id)
    )
    found: dict[str, Assessment] = {}
    for assessment in (await session.execute(statement)).scalars():
        found.setdefault(assessment.questionnaire_id, assessment)
    return found


async def _respondent(session: AsyncSession, client: Client) -> Respondent:
    respondent = await session.get(Respondent, client.respondent_id)
    if respondent is None:  # pragma: no cover - the foreign key keeps the respondent
        raise NotFound("No intake link with this address.")
    return respondent
