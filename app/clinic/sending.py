"""Making an intake link (emailed and reminded if asked) and emailing one again.

The one path the API (`POST /v1/clients/{id}/invitations`, `POST /v1/invitations/{id}/send`)
and the console both take, so what a link may do by email is decided in one place. Nothing
commits here: a refusal (422: no address, the client opted out) rolls the request back whole.
The email is in the language the client chose on the intake form when they chose one (as
reminders and scheduled links are), else in the one the therapist picked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.clinic import emails, invitations
from app.clinic.models import Client, Invitation
from app.clinic.schemas import InvitationCreate
from app.config import Settings
from app.intake.language import remembered_language
from app.schedules import reminders


async def make_link(
    session: AsyncSession,
    settings: Settings,
    user: User,
    client: Client,
    chosen: list[dict[str, Any]],
    body: InvitationCreate,
) -> tuple[Invitation, str, str]:
    """A new invitation, its token and link (shown once); emailed and reminded if asked."""
    invitation, token = await invitations.create_invitation(
        session,
        user,
        client,
        chosen,
        expires_in_days=body.expires_in_days,
        show_feedback=body.show_feedback,
    )
    url = invitations.link_of(settings, token)
    if body.send_email:
        language = await email_language(session, invitation, body.language)
        await emails.email_invitation(session, settings, client, invitation, url, language)
    if body.remind_after_days is not None:
        emails.check_can_email(settings, client, "#/remind_after_days")
        await reminders.plan_reminders(
            session,
            settings,
            invitation,
            url,
            language=body.language,
            after_days=body.remind_after_days,
            max_reminders=body.max_reminders,
        )
    return invitation, token, url


async def send_again(
    session: AsyncSession, settings: Settings, invitation: Invitation, language: str
) -> tuple[str, str]:
    """Email a pending invitation as a new link (the old one stops working): (token, link)."""
    client = await session.get_one(Client, invitation.client_id)
    emails.check_can_email(settings, client, "#/send_email")
    token = await emails.new_link(session, invitation)
    url = invitations.link_of(settings, token)
    await reminders.replace_link(session, settings, invitation, url)
    chosen = await email_language(session, invitation, language)
    await emails.email_invitation(session, settings, client, invitation, url, chosen)
    return token, url


async def email_language(session: AsyncSession, invitation: Invitation, picked: str) -> str:
    """The client's own choice on the form (this link's, else their latest), else `picked`.

    The one they read wins over the therapist's guess, as for reminders and scheduled links.
    """
    return await remembered_language(session, invitation) or picked
