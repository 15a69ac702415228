"""Webhooks: an organization's endpoint, an outbox of events, and their signature.

An event is a row written in the same transaction as what it announces, so it exists if and
only if that commit did; `app.clinic.delivery` sends it. Delivery is at least once: receivers
should ignore an `Attune-Delivery` id they have already seen.

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
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.clinic.models import WebhookAttempt, WebhookDelivery
from app.clinic.schemas import WebhookAttemptRead, WebhookDeliveryRead
from app.db import utcnow
from app.errors import InvalidInput
from app.security import new_token

logger = logging.getLogger("attune.webhooks")

#: The keys each event may carry. A guard, so that no answer or name slips into a payload.
EVENTS = {
    "intake.completed": frozenset(
        {"invitation_id", "client_id", "assessment_ids", "flags", "completed_at"}
    ),
}
SECRET_PREFIX = "whsec"  # noqa: S105 (marks webhook secrets; not a secret itself)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
CLAIM_BATCH = 20
#: A claimed row is hidden from other workers this long beyond the request timeout.
LEASE_MARGIN_SECONDS = 30


def check_url(url: str) -> str:
    """The URL if it is https, or http to this machine (development); else 422."""
    parts = urlsplit(url.strip())
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or local):
        raise InvalidInput(
            "A webhook must be an https URL (http only to 127.0.0.1 or localhost).",
            errors=[{"pointer": "#/url", "detail": "use https://host/path"}],
        )
    return url.strip()


async def set_webhook(session: AsyncSession, organization_id: uuid.UUID, url: str) -> str:
    """Register (or replace) the webhook with a new signing secret, returned this once."""
    organization = await session.get_one(Organization, organization_id)
    organization.webhook_url = check_url(url)
    organization.webhook_secret = new_token(SECRET_PREFIX)
    await session.flush()
    return organization.webhook_secret


async def clear_webhook(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Remove the webhook; events still waiting are marked failed rather than sent later."""
    organization = await session.get_one(Organization, organization_id)
    organization.webhook_url = None
    organization.webhook_secret = None
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.organization_id == organization_id,
            WebhookDelivery.status == "pending",
        )
        .values(status="failed")
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
    now = utcnow()
    session.add(
        WebhookDelivery(
            organization_id=organization_id,
            event=event,
            payload=json.loads(json.dumps(payload, default=_plain)),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    await session.flush()


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
    """The organization's latest deliveries, newest first, each with its tries."""
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.organization_id == organization_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
    )
    deliveries = list((await session.execute(statement)).scalars())
    tries: dict[uuid.UUID, list[WebhookAttemptRead]] = {d.id: [] for d in deliveries}
    attempts = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(tries))
        .order_by(WebhookAttempt.attempted_at)
    )
    for attempt in (await session.execute(attempts)).scalars():
        tries[attempt.delivery_id].append(
            WebhookAttemptRead(
                attempted_at=attempt.attempted_at,
                status_code=attempt.status_code,
                error=attempt.error,
            )
        )
    return [
        WebhookDeliveryRead(
            id=d.id,
            event=d.event,
            status=d.status,
            attempts=d.attempts,
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at,
            delivered_at=d.delivered_at,
            tries=tries[d.id],
        )
        for d in deliveries
    ]
