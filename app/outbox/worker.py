"""The outbox worker: claim due messages, hand each to its channel, record every try, back off.

Several workers may run this at once: on PostgreSQL due rows are claimed with
FOR UPDATE SKIP LOCKED and leased past the channel's timeout, so no message is sent twice at
the same time; one cut off by a crash is simply tried again when its lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.clinic.retention import RETENTION_EVERY, apply_retention
from app.config import Settings
from app.db import utcnow
from app.metrics import count_try
from app.outbox.models import DELIVERED, FAILED, PENDING, OutboxAttempt, OutboxMessage

logger = logging.getLogger("attune.outbox")

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
CLAIM_BATCH = 20
#: A claimed row is hidden from other workers this long beyond the channel's timeout.
LEASE_MARGIN_SECONDS = 30


@dataclass(frozen=True)
class Job:
    """A claimed message: what a channel needs to send it."""

    id: uuid.UUID
    organization_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    attempt: int  # 1 for the first try


@dataclass(frozen=True)
class Outcome:
    """How one try went. `permanent` failures are not tried again."""

    delivered: bool
    status_code: int | None = None
    error: str | None = None
    permanent: bool = False

    @property
    def failure(self) -> str | None:
        """The reason shown to staff when the message failed for good."""
        return None if self.delivered else (self.error or "not delivered")[:200]


class Channel(Protocol):
    """Sends the messages of one channel.

    A channel may also have `async withdrawn(session, message, now) -> str | None`: why a
    due message must no longer be sent (what it is about has moved on), checked when the
    message is claimed; such a message is settled unsent with that reason (see
    EmailChannel.withdrawn: no invitation or reminder after its link was used, revoked or
    expired).
    """

    #: The channel's name in the outbox rows.
    name: str
    #: Longest a try may take, in seconds (a claim's lease is this plus a margin).
    timeout: float
    #: Tries before a message fails for good.
    max_attempts: int

    async def send(self, job: Job) -> Outcome:
        """Try once; never raises for a delivery problem (it is an Outcome)."""

    def settled(self, payload: dict[str, Any]) -> dict[str, Any]:
        """What of the payload to keep once the message is delivered or failed for good."""


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    channels: dict[str, Channel],
    now: datetime | None = None,
) -> int:
    """Claim the messages that are due at `now`, send them, record each try; how many.

    `now` is the clock's (tests pass a fixed one). A withdrawn message is settled unsent
    and not counted.
    """
    jobs = await _claim(sessionmaker, channels, now or utcnow())
    await asyncio.gather(*(_try(sessionmaker, channels[channel], job) for channel, job in jobs))
    return len(jobs)


async def _claim(
    sessionmaker: async_sessionmaker[AsyncSession], channels: dict[str, Channel], now: datetime
) -> list[tuple[str, Job]]:
    """Lease due messages: SKIP LOCKED keeps concurrent workers apart on PostgreSQL.

    The lease (next_attempt_at pushed past the channel's timeout) keeps them apart after this
    transaction ends too; a worker that dies mid-send leaves a row that is retried later.
    SQLite has one writer at a time, and ignores FOR UPDATE. A message its channel says is
    withdrawn is settled here, unsent, in the same transaction as the claim.
    """
    async with sessionmaker.begin() as session:
        statement = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == PENDING,
                OutboxMessage.next_attempt_at <= now,
                OutboxMessage.channel.in_(channels),
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(CLAIM_BATCH)
            .with_for_update(skip_locked=True)
        )
        jobs = []
        for message in (await session.execute(statement)).scalars():
            channel = channels[message.channel]
            withdrawn = getattr(channel, "withdrawn", None)
            reason = await withdrawn(session, message, now) if withdrawn else None
            if reason is not None:
                message.status = FAILED
                message.failure = reason[:200]
                message.payload = channel.settled(message.payload)
                continue
            timeout = channel.timeout
            message.next_attempt_at = now + timedelta(seconds=timeout + LEASE_MARGIN_SECONDS)
            job = Job(
                id=message.id,
                organization_id=message.organization_id,
                kind=message.kind,
                payload=dict(message.payload),
                created_at=message.created_at,
                attempt=message.attempts + 1,
            )
            jobs.append((message.channel, job))
        return jobs


async def _try(sessionmaker: async_sessionmaker[AsyncSession], channel: Channel, job: Job) -> None:
    try:
        outcome = await channel.send(job)
    except Exception:
        # A bug in a channel must not stop the others; the message is tried again later.
        logger.exception("outbox channel %s failed", channel.name)
        outcome = Outcome(delivered=False, error="internal error while sending")
    await _record(sessionmaker, channel, job.id, outcome)


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    channel: Channel,
    message_id: uuid.UUID,
    outcome: Outcome,
) -> None:
    """Store the try; delivered, failed for good, or backed off for the next one."""
    async with sessionmaker.begin() as session:
        message = await session.get(OutboxMessage, message_id, with_for_update=True)
        if message is None or message.status != PENDING:
            return  # erased, or settled meanwhile (a webhook removed): nothing to record
        now = utcnow()
        session.add(
            OutboxAttempt(
                message_id=message_id,
                attempted_at=now,
                status_code=outcome.status_code,
                error=outcome.error[:500] if outcome.error else None,
            )
        )
        message.attempts += 1
        if outcome.delivered:
            message.status = DELIVERED
            message.delivered_at = now
        elif outcome.permanent or message.attempts >= channel.max_attempts:
            message.status = FAILED
            message.failure = outcome.failure
        else:
            backoff = min(2**message.attempts * BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS)
            message.next_attempt_at = now + timedelta(seconds=backoff)
        if message.status != PENDING:
            message.payload = channel.settled(message.payload)
        result = "retry" if message.status == PENDING else message.status
    count_try(channel.name, result)


async def run_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    channels: dict[str, Channel],
    settings: Settings,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Send due messages every `outbox_poll_seconds`, and apply retention, until cancelled."""
    retain_at = clock()
    while True:
        await asyncio.sleep(settings.outbox_poll_seconds)
        try:
            # A full batch means there may be more waiting: drain before sleeping.
            while await deliver_due(sessionmaker, channels) == CLAIM_BATCH:
                pass
            if (now := clock()) >= retain_at:
                async with sessionmaker.begin() as session:
                    await apply_retention(session, settings, now)
                retain_at = now + RETENTION_EVERY
        except Exception:
            # The loop must outlive a database hiccup; the rows are retried next poll.
            logger.exception("outbox round failed")


def start_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    channels: dict[str, Channel],
    settings: Settings,
    clock: Callable[[], datetime] = utcnow,
) -> asyncio.Task[None] | None:
    """The background worker, unless `outbox_poll_seconds` is 0 (tests drive it)."""
    if settings.outbox_poll_seconds <= 0:
        return None
    worker = run_worker(sessionmaker, channels, settings, clock)
    return asyncio.create_task(worker, name="attune-outbox")


async def stop_worker(task: asyncio.Task[None] | None) -> None:
    """Cancel the worker and wait for it; a send cut short is retried after its lease."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
