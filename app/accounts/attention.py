"""The opt-in email to a therapist when a result of one of their clients raises a flag.

It says only that a result needs their attention, with a link to it in the console: no
client, score, band, flag or answer (app/mail/templates/attention). It is written to the
outbox in the transaction that submits the intake, once per flagged result (its dedup key),
and only to an active therapist who opted in (`PATCH /v1/auth/me {"notify_on_flag": true}`),
in their language (`users.locale`: the console's choice or `PATCH /v1/auth/me`), else English.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization, User
from app.assessments.models import Assessment, Result
from app.clinic.models import Client, Invitation
from app.config import Settings
from app.mail.messages import DEFAULT_LOCALE, AttentionMessage
from app.outbox.channels.email import enqueue_email


def result_url(settings: Settings, result_id: uuid.UUID) -> str:
    """Where the email's link points: the result in the staff console."""
    return f"{settings.public_url.rstrip('/')}/console/results/{result_id}"


async def notify_flagged(
    session: AsyncSession, settings: Settings, invitation_id: uuid.UUID
) -> int:
    """Queue one attention email per flagged result of this intake; how many were new."""
    statement = (
        select(Result.id, User, Organization)
        .join(Assessment, Assessment.id == Result.assessment_id)
        .join(Invitation, Invitation.id == Assessment.invitation_id)
        .join(Client, Client.id == Invitation.client_id)
        .join(User, User.id == Client.therapist_id)
        .join(Organization, Organization.id == User.organization_id)
        .where(
            Invitation.id == invitation_id,
            Result.flagged.is_(True),
            User.notify_on_flag.is_(True),
            User.is_active.is_(True),
        )
        .order_by(Result.created_at, Result.id)
    )
    queued = 0
    for result_id, therapist, organization in await session.execute(statement):
        message = AttentionMessage(
            to=therapist.email,
            locale=therapist.locale or DEFAULT_LOCALE,  # the therapist's choice, else English
            clinic_name=organization.name,
            link=result_url(settings, result_id),
        )
        queued += await enqueue_email(
            session,
            settings,
            message,
            organization_id=organization.id,
            reference_id=result_id,
            dedup_key=f"attention:{result_id}",
        )
    return queued
