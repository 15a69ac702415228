"""Completing an intake link: when it may still be used, claiming it once, announcing it.

The form spends a link when it sends everything; an app using the link's token submits one
assessment at a time, and the last one spends it. Both claim the link with the same
conditional UPDATE, so of two submits, or of a submit and a revoke, exactly one wins.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import SUBMITTED, Assessment, Result
from app.assessments.service import Submitted, submit_assessment
from app.clinic.invitations import invitation_status
from app.clinic.models import Invitation
from app.clinic.webhooks import enqueue_event
from app.db import utcnow
from app.errors import Gone
from app.intake.scope import offered_references
from app.questionnaires.registry import Registry
from app.respondents.models import Respondent

Refusal = Literal["expired", "revoked", "used"]


def refusal(invitation: Invitation, now: datetime) -> Refusal | None:
    """Why a link can no longer be used, or None while it can (the therapist's status)."""
    status = invitation_status(invitation, now)
    return None if status == "pending" else status


async def submit_through_link(
    session: AsyncSession,
    registry: Registry,
    assessment: Assessment,
    respondent: Respondent,
    idempotency_key: str,
) -> Submitted:
    """Submit one assessment of an intake link over the API, then spend the link if complete.

    The invitation row is locked and checked first, so a revoke (or the expiry) that lands
    while the request runs wins over it: 410, nothing submitted.
    """
    assert assessment.invitation_id is not None
    lock = (
        select(Invitation)
        .where(Invitation.id == assessment.invitation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    invitation = (await session.execute(lock)).scalar_one()
    submitted_before = assessment.status == SUBMITTED
    if not submitted_before and (reason := refusal(invitation, utcnow())) is not None:
        raise Gone("This link can no longer be used.", reason=reason)
    submitted = await submit_assessment(session, registry, assessment, respondent, idempotency_key)
    if not submitted.replayed:
        await spend_if_complete(session, registry, invitation.id)
    return submitted


async def spend_if_complete(
    session: AsyncSession, registry: Registry, invitation_id: uuid.UUID
) -> bool:
    """Spend a link answered over the API once all its questionnaires are submitted.

    The form spends the link when it submits; an app using the link's token submits one
    assessment at a time, so the last of them spends it and announces the intake, as the
    form would. True if this call spent it.
    """
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.used_at is not None:
        return False
    statement = (
        select(Assessment, Result)
        .join(Result, Result.assessment_id == Assessment.id)
        .where(Assessment.invitation_id == invitation.id, Assessment.status == SUBMITTED)
        .order_by(Assessment.submitted_at, Assessment.id)
    )
    done = {a.questionnaire_id: (a, r) for a, r in await session.execute(statement)}
    # A questionnaire no longer offered here cannot be answered, so it is not waited for.
    if any(q["id"] not in done for q in offered_references(registry, invitation)):
        return False
    now = utcnow()
    if not await claim_link(session, invitation, now, consent=None):
        return False
    await announce_intake(session, invitation, list(done.values()), now)
    return True


async def claim_link(
    session: AsyncSession, invitation: Invitation, now: datetime, consent: bool | None
) -> bool:
    """Mark the link used while it is live: of two claims, or a claim and a revoke, one wins.

    The conditions are re-checked by PostgreSQL on the row as it is after a concurrent
    revoke commits, so a link revoked (or expired) meanwhile is not claimed.
    """
    claim = (
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now, research_consent=consent)
    )
    # synchronize_session (auto) also updates the loaded `invitation`, with no second UPDATE.
    return bool((await session.execute(claim)).rowcount == 1)  # type: ignore[attr-defined]


async def announce_intake(
    session: AsyncSession,
    invitation: Invitation,
    completed: list[tuple[Assessment, Result]],
    now: datetime,
) -> None:
    """Queue the `intake.completed` webhook: ids and flags only, never answers or names."""
    flags = {flag for _, result in completed for flag in result.score.get("flags", [])}
    payload: dict[str, Any] = {
        "invitation_id": str(invitation.id),
        "client_id": str(invitation.client_id),
        "assessment_ids": [str(assessment.id) for assessment, _ in completed],
        "flags": sorted(flags),
        "completed_at": now.isoformat(),
    }
    await enqueue_event(session, invitation.organization_id, "intake.completed", payload)
