"""Emails: a sealed message in the outbox, rendered and sent when the worker gets to it.

The address and the link (an intake link is a credential) are sealed in the row under a
key derived from ATTUNE_SECRET_KEY, and dropped once the message is delivered or has failed
for good; the row keeps only its kind, its status and the reason it failed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clinic.invitations import invitation_status
from app.clinic.models import Invitation
from app.config import Settings
from app.mail.messages import (
    AttentionMessage,
    InvitationMessage,
    Message,
    PasswordResetMessage,
    ReminderMessage,
)
from app.mail.senders import MailNotConfigured, Sender, sender_from_settings
from app.outbox.models import OutboxMessage
from app.outbox.service import enqueue
from app.outbox.worker import Job, Outcome
from app.sealing import InvalidToken, seal, unseal
from app.security import hash_token

logger = logging.getLogger("attune.outbox")

PURPOSE = "outbox-email"
KINDS: dict[str, type[Message]] = {
    kind.kind: kind
    for kind in (InvitationMessage, ReminderMessage, PasswordResetMessage, AttentionMessage)
}
#: The kinds that carry an intake link: not sent once the link no longer works (`withdrawn`).
LINK_KINDS = frozenset({InvitationMessage.kind, ReminderMessage.kind})
#: Why an email with a link is not sent, by the link's status (`invitation_status`: one rule).
WITHHELD = {
    "used": "not sent: the client had already answered",
    "revoked": "not sent: the link was withdrawn",
    "expired": "not sent: the link had expired",
}


async def enqueue_email(
    session: AsyncSession,
    settings: Settings,
    message: Message,
    *,
    organization_id: Any,
    reference_id: Any = None,
    unsubscribe_url: str | None = None,
    dedup_key: str | None = None,
) -> bool:
    """Put an email in the outbox, in the caller's transaction, sealed."""
    fields = asdict(message) | {"unsubscribe_url": unsubscribe_url}
    sealed = seal(_key(settings), PURPOSE, json.dumps(fields).encode())
    return await enqueue(
        session,
        organization_id=organization_id,
        channel="email",
        kind=message.kind,
        payload={"sealed": sealed},
        reference_id=reference_id,
        dedup_key=dedup_key,
    )


def _key(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


class EmailChannel:
    """Renders a sealed message and hands it to the configured sender."""

    name = "email"

    def __init__(self, settings: Settings, sender: Sender | None = None) -> None:
        self._settings = settings
        self._sender = sender
        self.timeout = settings.mail_timeout_seconds
        self.max_attempts = settings.mail_max_attempts

    async def send(self, job: Job) -> Outcome:
        """One try: a refused address is permanent, anything else may work later."""
        try:
            fields = json.loads(unseal(_key(self._settings), PURPOSE, job.payload["sealed"]))
        except (KeyError, InvalidToken):
            # ATTUNE_SECRET_KEY changed since it was written: it can never be opened again.
            return Outcome(delivered=False, error="the message cannot be opened", permanent=True)
        unsubscribe_url = fields.pop("unsubscribe_url", None)
        email = KINDS[job.kind](**fields).render(unsubscribe_url)
        email.headers["Message-ID"] = f"<{job.id}@attune>"  # the same on a resend
        try:
            sender = self._sender or sender_from_settings(self._settings)
        except MailNotConfigured as error:
            logger.error("email cannot be sent: %s", error)
            return Outcome(delivered=False, error="email is not configured on this server")
        self._sender = sender
        try:
            await sender.send(email)
        except Exception as failure:
            permanent = bool(getattr(failure, "permanent", False))
            reason = getattr(failure, "reason", "could not send")
            return Outcome(delivered=False, error=reason, permanent=permanent)
        return Outcome(delivered=True)

    def settled(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Nothing: the address and the link go once the message is settled."""
        return {}

    async def withdrawn(
        self, session: AsyncSession, message: OutboxMessage, now: datetime
    ) -> str | None:
        """Why an email with an intake link must not go out any more: the link was used,
        revoked or expired.

        One rule for invitations and reminders alike, checked when the worker claims the
        email, not only when it was written: it can wait in the outbox (a worker busy or down,
        a retry backing off) while the client answers or the therapist withdraws the link.
        The row stays, failed with this reason, so staff see why it was not sent.
        """
        if message.kind not in LINK_KINDS or message.reference_id is None:
            return None
        invitation = await session.get(Invitation, message.reference_id)
        if invitation is None:
            return "not sent: the invitation no longer exists"
        status = WITHHELD.get(invitation_status(invitation, now))
        if status is None and not self._carries_current_link(message, invitation):
            return "not sent: a newer link replaced this one"
        return status

    def _carries_current_link(self, message: OutboxMessage, invitation: Invitation) -> bool:
        """Whether the email's link is still the invitation's (a re-send makes a new token)."""
        try:
            fields = json.loads(unseal(_key(self._settings), PURPOSE, message.payload["sealed"]))
        except (KeyError, InvalidToken):
            return True  # `send` settles a message that cannot be opened, with its own reason
        token = str(fields.get("link", "")).rsplit("/", 1)[-1]
        return hash_token(token) == invitation.token_hash
