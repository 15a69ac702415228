"""Webhooks: an organization's endpoint, an outbox of signed events, and their deliverer.

An event is a row written in the same transaction as what it announces, so it exists if and
only if that commit did. A deliverer claims due rows, POSTs each one signed, and records every
try; failures are retried with exponential backoff. Delivery is at least once: receivers
should ignore an `Attune-Delivery` id they have already seen.

    Attune-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>

Events carry ids and flags only: never answers, client labels, emails or names.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Organization
from app.clinic.models import WebhookAttempt, WebhookDelivery
from app.clinic.schemas import WebhookAttemptRead, WebhookDeliveryRead
from app.config import Settings
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


@dataclass(frozen=True)
class _Job:
    """A claimed delivery with what it takes to send it."""

    delivery_id: uuid.UUID
    event: str
    body: bytes
    url: str
    secret: str


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession], http: httpx.AsyncClient, settings: Settings
) -> int:
    """Claim the deliveries that are due, send them, record each try; how many were tried."""
    jobs = await _claim(sessionmaker, settings)
    await asyncio.gather(*(_deliver(sessionmaker, http, settings, job) for job in jobs))
    return len(jobs)


async def _claim(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> list[_Job]:
    """Lease due deliveries: SKIP LOCKED keeps concurrent workers apart on PostgreSQL.

    The lease (next_attempt_at pushed past the request timeout) keeps them apart after this
    transaction ends too; a worker that dies mid-send leaves a row that is retried later.
    SQLite has one writer at a time, and ignores FOR UPDATE.
    """
    async with sessionmaker.begin() as session:
        now = utcnow()
        statement = (
            select(WebhookDelivery, Organization.webhook_url, Organization.webhook_secret)
            .join(Organization, Organization.id == WebhookDelivery.organization_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                Organization.webhook_url.is_not(None),
                Organization.webhook_secret.is_not(None),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(CLAIM_BATCH)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )
        lease = now + timedelta(seconds=settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
        jobs = []
        for delivery, url, secret in (await session.execute(statement)).all():
            assert url is not None  # filtered above
            assert secret is not None
            delivery.next_attempt_at = lease
            jobs.append(_Job(delivery.id, delivery.event, _body(delivery), url, secret))
        return jobs


def _body(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


async def _deliver(
    sessionmaker: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    settings: Settings,
    job: _Job,
) -> None:
    """POST one event and record how it went."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Attune-Webhooks/1",
        "Attune-Event": job.event,
        "Attune-Delivery": str(job.delivery_id),
        "Attune-Signature": sign(job.secret, job.body, int(time.time())),
    }
    status_code: int | None = None
    error: str | None = None
    try:
        response = await http.post(
            job.url, content=job.body, headers=headers, timeout=settings.webhook_timeout_seconds
        )
        status_code = response.status_code
    except (httpx.HTTPError, httpx.InvalidURL) as failure:
        error = f"{type(failure).__name__}: {failure}"[:500]
    await _record(sessionmaker, settings, job.delivery_id, status_code, error)


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    delivery_id: uuid.UUID,
    status_code: int | None,
    error: str | None,
) -> None:
    """Store the try; delivered on a 2xx, else back off, and give up after the last try."""
    async with sessionmaker.begin() as session:
        delivery = await session.get_one(WebhookDelivery, delivery_id, with_for_update=True)
        now = utcnow()
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id, attempted_at=now, status_code=status_code, error=error
            )
        )
        delivery.attempts += 1
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = "delivered"
            delivery.delivered_at = now
        elif delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = "failed"
        else:
            backoff = min(2**delivery.attempts * BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS)
            delivery.next_attempt_at = now + timedelta(seconds=backoff)


async def run_deliverer(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Deliver due events every `webhook_poll_seconds`, until cancelled."""
    async with httpx.AsyncClient(follow_redirects=False) as http:
        while True:
            await asyncio.sleep(settings.webhook_poll_seconds)
            try:
                # A full batch means there may be more waiting: drain before sleeping.
                while await deliver_due(sessionmaker, http, settings) == CLAIM_BATCH:
                    pass
            except Exception:
                # The loop must outlive a database hiccup; the rows are retried next poll.
                logger.exception("webhook delivery round failed")


def start_deliverer(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> asyncio.Task[None] | None:
    """The background deliverer, unless `webhook_poll_seconds` is 0 (tests drive it)."""
    if settings.webhook_poll_seconds <= 0:
        return None
    return asyncio.create_task(run_deliverer(sessionmaker, settings), name="attune-webhooks")


async def stop_deliverer(task: asyncio.Task[None] | None) -> None:
    """Cancel the deliverer and wait for it; a send cut short is retried after its lease."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
