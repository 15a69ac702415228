"""Sending webhook events: claim due ones, POST them signed, record every try, back off.

Several workers may run this at once: on PostgreSQL due rows are claimed with
FOR UPDATE SKIP LOCKED and leased past the request timeout, so no event is sent twice at
the same time; one cut off by a crash is simply tried again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Organization
from app.clinic.models import WebhookAttempt, WebhookDelivery
from app.clinic.webhooks import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    CLAIM_BATCH,
    LEASE_MARGIN_SECONDS,
    sign,
)
from app.config import Settings
from app.db import utcnow

logger = logging.getLogger("attune.webhooks")


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
