"""The language a client chose on the intake form: remembered on the link, used again.

The form's switch records it on the invitation (`invitations.language`). Later visits to
the link open in it, a schedule's next links open in it, and the reminders and scheduled
invitations sent to that client are written in it: the client's own choice wins over the
language the therapist picked for the email, since it is the one they read.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.clinic.models import Invitation


def remember_language(invitation: Invitation, language: str) -> None:
    """Keep the language the client chose on the form, for their next visit and reminders."""
    if invitation.language != language:
        invitation.language = language


async def client_language(session: AsyncSession, client_id: uuid.UUID) -> str | None:
    """The language the client chose on their newest link that has one, if they ever chose."""
    statement = (
        select(Invitation.language)
        .where(Invitation.client_id == client_id, Invitation.language.is_not(None))
        .order_by(Invitation.created_at.desc(), Invitation.id)
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def remembered_language(session: AsyncSession, invitation: Invitation) -> str | None:
    """The language chosen on this link, else on the client's latest link that has one."""
    if invitation.language is not None:
        return invitation.language
    return await client_language(session, invitation.client_id)
