"""Webhooks: an organization's endpoint, an outbox of events, and their signature.

An event is an outbox row (`app.outbox`) written in the same transaction as what it
announces, so it exists if and only if that commit did; the outbox worker sends it.
Delivery is at least once: receivers should ignore an `Attune-Delivery` id they have seen.

    Attune-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>

Events carry ids and flags only: never answers, client labels, emails or names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.clinic.encryption import encrypt_secret
from app.clinic.schemas import WebhookAttemptRead, WebhookDeliveryRead
from app.clinic.targets import check_url
from app.config import Settings
from app.outbox.models import FAILED, PENDING, OutboxMessage
from app.outbox.service import attempts_of, enqueue
from app.security import new_token

logger = logging.getLogger("attune.webhooks")

#: The keys each event may carry. A guard, so that no answer or name slips into a payload.
EVENTS = {
    "intake.completed": frozenset(
        {"invitation_id", "client_id", "assessment_ids", "flags", "completed_at"}
    ),
}
SECRET_PREFIX = "whsec"  # noqa: S105 (marks webhook secrets; not a secret itself)
CHANNEL = "webhook"


async def set_webhook(
    session: AsyncSession, organization_id: uuid.UUID, url: str, settings: Settings
) -> str:
    """Register (or replace) the webhook with a new signing secret, returned this once.

    The URL must point to a public address (`app.clinic.targets`); the secret is stored
    encrypted under a key derived from ATTUNE_SECRET_KEY.
    """
    checked = await check_url(url, settings)
    secret = new_token(SECRET_PREFIX)
    organization = await session.get_one(Organization, organization_id)
    organization.webhook_url = checked
    organization.webhook_secret = encrypt_secret(settings.secret_key.get_secret_value(), secret)
    await session.flush()
    return secret


async def clear_webhook(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Remove the webhook; events still waiting are marked failed rather than sent later."""
    organization = await session.get_one(Organization, organization_id)
    organization.webhook_url = None
    organization.webhook_secret = None
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.organization_id == organization_id,
            OutboxMessage.channel == CHANNEL,
            OutboxMessage.status == PENDING,
        )
        .values(status=FAILED, failure="the webhook was removed")
    )
    await session.flush()


async def enqueue_event(
    session: AsyncSession, organization_id: uuid.UUID, event: str, payload: dict[str, Any]
) -> None:
    """Add an event to the outbox in the caller's transaction; nothing without a webhook.

    `payload` holds ids and flags only (UUIDs and datetimes are turned into strings); a key
    the event does not declare in `EVENTS` is a programming error (ValueError).
    """
    allowed = EVENTS.get(event)
    if allowed is None:
        raise ValueError(f"unknown webhook event {event!r}")
    if extra := set(payload) - allowed:
        raise ValueError(f"{event} may not carry {sorted(extra)}: ids and flags only")
    statement = select(Organization.webhook_url).where(Organization.id == organization_id)
    if (await session.execute(statement)).scalar_one_or_none() is None:
        return
    await enqueue(
        session,
        organization_id=organization_id,
        channel=CHANNEL,
        kind=event,
        payload=json.loads(json.dumps(payload, default=_plain)),
    )


def _plain(value: object) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The Attune-Signature header of a body sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(
    secret: str, header: str, body: bytes, tolerance_s: int = 300, *, now: float | None = None
) -> bool:
    """Whether an Attune-Signature header is genuine for this body and recent enough."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


async def recent_deliveries(
    session: AsyncSession, organization_id: uuid.UUID, limit: int
) -> list[WebhookDeliveryRead]:
    """The organization's latest events, newest first, each with its tries."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.organization_id == organization_id, OutboxMessage.channel == CHANNEL)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    deliveries = list((await session.execute(statement)).scalars())
    tries = await attempts_of(session, [d.id for d in deliveries])
    return [
        WebhookDeliveryRead(
            id=d.id,
            event=d.kind,
            status=d.status,
            attempts=d.attempts,
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at,
            delivered_at=d.delivered_at,
            tries=[
                WebhookAttemptRead(
                    attempted_at=t.attempted_at, status_code=t.status_code, error=t.error
                )
                for t in tries[d.id]
            ],
        )
        for d in deliveries
    ]
