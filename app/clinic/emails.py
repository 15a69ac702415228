"""Emailing clients: intake links by email, their delivery status, and the client's opt-out.

An email is written to the outbox in the request's transaction (so it exists if and only if
the invitation does) and sent by the outbox worker. It never says more than who sends it,
what it is and until when (see app/mail/messages.py). Every email to a client carries an
unsubscribe link; a client who used it gets no more emails, and their therapist sees that.
One still waiting in the outbox when its link is used, revoked or expires is not sent
(EmailChannel.withdrawn).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.clinic.models import Client, Invitation
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.intake.scope import TOKEN_PREFIX
from app.mail.messages import InvitationMessage, local_time
from app.outbox.channels.email import enqueue_email
from app.outbox.models import OutboxMessage
from app.outbox.service import latest_by_reference
from app.security import hash_token, new_token

CHANNEL = "email"
#: Why a queued email to a client who unsubscribed was not sent (the console shows it as such).
OPTED_OUT = "the client asked for no more emails"


@dataclass(frozen=True)
class EmailDelivery:
    """Where the latest email about something stands, in words staff can act on."""

    status: str  # pending, delivered, failed
    failure: str | None
    sent_at: datetime | None


def check_can_email(settings: Settings, client: Client, pointer: str) -> str:
    """The client's address, or 422 naming `pointer` with the reason it cannot be used."""
    reason = None
    if settings.environment == "production" and settings.smtp_url is None:
        reason = "This server does not send email (ATTUNE_SMTP_URL is not set)."
    elif not client.email:
        reason = "The client has no email address; add one first."
    elif client.email_opt_out_at is not None:
        reason = "The client asked not to receive emails from this service."
    if reason is not None:
        raise InvalidInput(
            "The link cannot be sent by email.", errors=[{"pointer": pointer, "detail": reason}]
        )
    assert client.email is not None  # checked above
    return client.email


async def email_invitation(
    session: AsyncSession,
    settings: Settings,
    client: Client,
    invitation: Invitation,
    link: str,
    language: str,
) -> None:
    """Put the intake link's email in the outbox (after `check_can_email`)."""
    address = check_can_email(settings, client, "#/send_email")
    organization = await session.get_one(Organization, client.organization_id)
    message = InvitationMessage(
        to=address,
        locale=language,
        clinic_name=organization.name,
        link=link,
        expires=local_time(invitation.expires_at, language, organization.time_zone),
        questionnaire_count=len(invitation.questionnaires),
    )
    await enqueue_email(
        session,
        settings,
        message,
        organization_id=client.organization_id,
        reference_id=invitation.id,
        unsubscribe_url=unsubscribe_url(settings, client.id),
    )


async def new_link(session: AsyncSession, invitation: Invitation) -> str:
    """A fresh token for a pending invitation: the old link stops working (409 otherwise)."""
    now = utcnow()
    if invitation.used_at or invitation.revoked_at or invitation.expires_at <= now:
        raise Conflict("Only a pending invitation can be sent again; make a new one instead.")
    token = new_token(TOKEN_PREFIX)
    invitation.token_hash = hash_token(token)
    await session.flush()
    return token


async def deliveries(
    session: AsyncSession, invitation_ids: list[uuid.UUID]
) -> dict[uuid.UUID, EmailDelivery]:
    """The latest email of each invitation that has one (one query for all)."""
    latest = await latest_by_reference(session, CHANNEL, invitation_ids)
    return {reference: _delivery(message) for reference, message in latest.items()}


def _delivery(message: OutboxMessage) -> EmailDelivery:
    return EmailDelivery(
        status=message.status, failure=message.failure, sent_at=message.delivered_at
    )


def unsubscribe_code(settings: Settings, client_id: uuid.UUID) -> str:
    """The client's id with a MAC, so only the link in their email stops their emails."""
    return f"{client_id}.{_mac(settings, client_id)}"


def unsubscribe_url(settings: Settings, client_id: uuid.UUID) -> str:
    """Where the email's unsubscribe link and one-click header point."""
    code = unsubscribe_code(settings, client_id)
    return f"{settings.public_url.rstrip('/')}/email/unsubscribe/{code}"


def client_of_code(settings: Settings, code: str) -> uuid.UUID | None:
    """The client a genuine code names, or None for an altered or made-up one."""
    raw_id, _, mac = code.partition(".")
    try:
        client_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    return client_id if hmac.compare_digest(mac, _mac(settings, client_id)) else None


def _mac(settings: Settings, client_id: uuid.UUID) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"unsubscribe:{client_id}".encode(), hashlib.sha256).hexdigest()[:32]


async def opt_out(session: AsyncSession, client_id: uuid.UUID) -> None:
    """Record that the client wants no more emails (the first time counts); pending ones stop."""
    await session.execute(
        update(Client)
        .where(Client.id == client_id, Client.email_opt_out_at.is_(None))
        .values(email_opt_out_at=utcnow())
    )
    invitation_ids = select(Invitation.id).where(Invitation.client_id == client_id)
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == CHANNEL,
            OutboxMessage.status == "pending",
            OutboxMessage.reference_id.in_(invitation_ids),
        )
        .values(status="failed", failure=OPTED_OUT, payload={})
    )
