"""The tick: make the occurrences and reminders that are due, exactly once each.

It runs beside the outbox worker (app/main.py) and takes the moment it acts at, so tests
drive it with a fixed clock. Several ticks may run at once, on several servers: due
schedules and reminder plans are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, and the
unique (schedule_id, number) of an occurrence and the outbox's dedup key of each email are
what make each happen once even if two ticks reach the same row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Organization
from app.clinic.emails import unsubscribe_url
from app.clinic.invitations import link_of
from app.clinic.models import Client, Invitation
from app.config import Settings
from app.db import insert_unless_exists, utcnow
from app.intake.language import client_language
from app.intake.scope import TOKEN_PREFIX
from app.mail.messages import InvitationMessage, local_time
from app.outbox.channels.email import enqueue_email
from app.schedules.models import ACTIVE, Occurrence, Schedule
from app.schedules.reminders import can_email, plan_reminders, seal_link, send_due_reminders
from app.schedules.service import due_of
from app.security import hash_token, new_token

logger = logging.getLogger("attune.schedules")
BATCH = 50


async def tick(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> tuple[int, int]:
    """One round at `now`: (occurrences made, reminders written)."""
    async with sessionmaker.begin() as session:
        made = await make_due_occurrences(session, settings, now)
    async with sessionmaker.begin() as session:
        reminded = await send_due_reminders(session, settings, now)
    return made, reminded


async def make_due_occurrences(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Make the latest due occurrence of each active schedule; older missed ones are skipped."""
    statement = (
        select(Schedule)
        .where(Schedule.status == ACTIVE, Schedule.next_due_at <= now)
        .order_by(Schedule.next_due_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    made = 0
    for schedule in (await session.execute(statement)).scalars():
        number = schedule.next_number
        while (later := due_of(schedule, number + 1)) is not None and later <= now:
            number += 1  # the tick was down: only the latest due one is sent
        due = due_of(schedule, number)
        assert due is not None  # next_due_at was set
        occurrence = Occurrence(
            id=uuid.uuid4(), schedule_id=schedule.id, number=number, due_at=due, created_at=now
        )
        if await insert_unless_exists(session, occurrence, ["schedule_id", "number"]):
            await _send(session, settings, schedule, occurrence.id, now)
            made += 1
        schedule.next_number = number + 1
        schedule.next_due_at = due_of(schedule, number + 1)
    await session.flush()
    return made


async def _send(
    session: AsyncSession,
    settings: Settings,
    schedule: Schedule,
    occurrence_id: uuid.UUID,
    now: datetime,
) -> None:
    """The occurrence's invitation, emailed, or its link kept sealed for the therapist."""
    client = await session.get_one(Client, schedule.client_id)
    token = new_token(TOKEN_PREFIX)
    invitation = Invitation(
        organization_id=schedule.organization_id,
        client_id=client.id,
        created_by=schedule.created_by,
        token_hash=hash_token(token),
        questionnaires=schedule.questionnaires,
        show_feedback=schedule.show_feedback,
        created_at=now,
        expires_at=now + timedelta(days=schedule.expires_in_days),
    )
    session.add(invitation)
    await session.flush()
    occurrence = await session.get_one(Occurrence, occurrence_id)
    occurrence.invitation_id = invitation.id
    link = link_of(settings, token)
    if not can_email(settings, client):
        occurrence.sealed_link = seal_link(settings, link)
        return
    assert client.email is not None  # can_email
    organization = await session.get_one(Organization, schedule.organization_id)
    # The language the client chose on an earlier link's form, over the schedule's.
    language = await client_language(session, client.id) or schedule.language
    message = InvitationMessage(
        to=client.email,
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
        organization_id=schedule.organization_id,
        reference_id=invitation.id,
        unsubscribe_url=unsubscribe_url(settings, client.id),
        dedup_key=f"occurrence:{schedule.id}:{occurrence.number}",
    )
    if schedule.remind_after_days and schedule.max_reminders:
        await plan_reminders(
            session,
            settings,
            invitation,
            link,
            language=schedule.language,
            after_days=schedule.remind_after_days,
            max_reminders=schedule.max_reminders,
        )


async def run_ticker(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Tick every `outbox_poll_seconds`, until cancelled."""
    while True:
        await asyncio.sleep(settings.outbox_poll_seconds)
        try:
            await tick(sessionmaker, settings, clock())
        except Exception:
            # The loop must outlive a database hiccup; what is due is still due next round.
            logger.exception("schedule tick failed")


def start_ticker(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> asyncio.Task[None] | None:
    """The background ticker, unless `outbox_poll_seconds` is 0 (tests drive it)."""
    if settings.outbox_poll_seconds <= 0:
        return None
    return asyncio.create_task(run_ticker(sessionmaker, settings), name="attune-schedules")


async def stop_ticker(task: asyncio.Task[None] | None) -> None:
    """Cancel the ticker and wait for it; its transaction rolls back, nothing half-made."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
