"""Use cases of schedules: make, find, list, pause, resume, stop, missed occurrences.

The console calls these too; they never commit (the request's session does) and take the
moment they act at, so tests drive them with a fixed clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization, User
from app.clinic.models import Client, Invitation
from app.clinic.service import in_scope
from app.errors import Conflict, InvalidInput, NotFound
from app.schedules.calendar import (
    MAX_OCCURRENCES,
    due_at,
    is_time_zone,
    occurrence_count,
    step_days,
)
from app.schedules.models import ACTIVE, PAUSED, STOPPED, Occurrence, Schedule


@dataclass(frozen=True)
class Plan:
    """What a therapist asks for; questionnaires already resolved to versions."""

    questionnaires: list[dict[str, Any]]
    every: int
    unit: str
    starts_at: datetime
    ends_at: datetime | None
    count: int | None
    expires_in_days: int
    show_feedback: bool
    language: str
    remind_after_days: int | None
    max_reminders: int


async def set_time_zone(session: AsyncSession, organization_id: uuid.UUID, name: str) -> str:
    """Set the organization's time zone, or 422 naming `time_zone` for an unknown one."""
    name = name.strip()
    if not is_time_zone(name):
        raise InvalidInput(
            "Unknown time zone.",
            errors=[{"pointer": "#/time_zone", "detail": "not an IANA time zone name"}],
        )
    organization = await session.get_one(Organization, organization_id)
    organization.time_zone = name
    await session.flush()
    return name


def _check(plan: Plan, time_zone: str) -> int:
    """The number of occurrences, or 422 naming each wrong field."""
    errors = []
    if (plan.ends_at is None) == (plan.count is None):
        errors.append({"pointer": "#/ends_at", "detail": "give either ends_at or count"})
    elif plan.ends_at is not None and plan.ends_at < plan.starts_at:
        errors.append({"pointer": "#/ends_at", "detail": "ends before the schedule starts"})
    if plan.every < 1:
        errors.append({"pointer": "#/every", "detail": "must be at least 1"})
    if errors:
        raise InvalidInput("The schedule cannot be made.", errors=errors)
    step = step_days(plan.every, plan.unit)
    total = occurrence_count(plan.starts_at, step, time_zone, plan.ends_at, plan.count)
    if total > MAX_OCCURRENCES:
        detail = f"more than {MAX_OCCURRENCES} occurrences; end sooner or space them out"
        raise InvalidInput(
            "The schedule cannot be made.", errors=[{"pointer": "#/ends_at", "detail": detail}]
        )
    return total


async def create_schedule(
    session: AsyncSession, user: User, client: Client, plan: Plan, now: datetime
) -> Schedule:
    """A new active schedule for the client; its first occurrence is made by the tick."""
    organization = await session.get_one(Organization, client.organization_id)
    _check(plan, organization.time_zone)
    schedule = Schedule(
        organization_id=client.organization_id,
        client_id=client.id,
        created_by=user.id,
        questionnaires=plan.questionnaires,
        every=plan.every,
        unit=plan.unit,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        count=plan.count,
        time_zone=organization.time_zone,
        expires_in_days=plan.expires_in_days,
        show_feedback=plan.show_feedback,
        language=plan.language,
        remind_after_days=plan.remind_after_days,
        max_reminders=plan.max_reminders if plan.remind_after_days else 0,
        status=ACTIVE,
        next_number=0,
        next_due_at=plan.starts_at,
        created_at=now,
    )
    session.add(schedule)
    await session.flush()
    return schedule


def total_of(schedule: Schedule) -> int:
    """How many occurrences the schedule has in all."""
    step = step_days(schedule.every, schedule.unit)
    return occurrence_count(
        schedule.starts_at, step, schedule.time_zone, schedule.ends_at, schedule.count
    )


def due_of(schedule: Schedule, number: int) -> datetime | None:
    """When occurrence `number` is due, or None past the last one."""
    if number >= total_of(schedule):
        return None
    return due_at(
        schedule.starts_at, step_days(schedule.every, schedule.unit), number, schedule.time_zone
    )


async def find_schedule(session: AsyncSession, user: User, schedule_id: uuid.UUID) -> Schedule:
    """The schedule if it is for a client the user may see, else 404."""
    statement = in_scope(
        select(Schedule)
        .join(Client, Client.id == Schedule.client_id)
        .where(Schedule.id == schedule_id),
        user,
    )
    schedule = (await session.execute(statement)).scalar_one_or_none()
    if schedule is None:
        raise NotFound("No such schedule.")
    return schedule


async def list_schedules(session: AsyncSession, client: Client) -> list[Schedule]:
    """The client's schedules, newest first."""
    statement = (
        select(Schedule)
        .where(Schedule.client_id == client.id)
        .order_by(Schedule.created_at.desc(), Schedule.id.desc())
    )
    return list((await session.execute(statement)).scalars())


async def pause_schedule(session: AsyncSession, schedule: Schedule) -> Schedule:
    """Stop making occurrences until resumed; pausing twice changes nothing; 409 if stopped."""
    if schedule.status == STOPPED:
        raise Conflict("This schedule was stopped; make a new one instead.")
    schedule.status = PAUSED
    await session.flush()
    return schedule


async def resume_schedule(session: AsyncSession, schedule: Schedule, now: datetime) -> Schedule:
    """Make occurrences again; those that fell due while paused are skipped. 409 if stopped."""
    if schedule.status == STOPPED:
        raise Conflict("This schedule was stopped; make a new one instead.")
    if schedule.status == PAUSED:
        number = schedule.next_number
        while (due := due_of(schedule, number)) is not None and due <= now:
            number += 1
        schedule.next_number, schedule.next_due_at = number, due_of(schedule, number)
        schedule.status = ACTIVE
    await session.flush()
    return schedule


async def stop_schedule(session: AsyncSession, schedule: Schedule, now: datetime) -> Schedule:
    """No more occurrences, for good; links already sent keep working. Repeating is fine."""
    if schedule.status != STOPPED:
        schedule.status, schedule.stopped_at, schedule.next_due_at = STOPPED, now, None
    await session.flush()
    return schedule


async def occurrences_of(
    session: AsyncSession, schedule_ids: list[uuid.UUID]
) -> list[tuple[Occurrence, Invitation | None]]:
    """The occurrences of these schedules with their invitations, newest first."""
    if not schedule_ids:
        return []
    statement = (
        select(Occurrence, Invitation)
        .outerjoin(Invitation, Invitation.id == Occurrence.invitation_id)
        .where(Occurrence.schedule_id.in_(schedule_ids))
        .order_by(Occurrence.due_at.desc(), Occurrence.number.desc())
    )
    return [(o, i) for o, i in (await session.execute(statement)).all()]


async def missed_occurrences(
    session: AsyncSession, client: Client, now: datetime
) -> list[tuple[Occurrence, Invitation]]:
    """The client's occurrences whose link expired unanswered (not revoked), newest first."""
    statement = (
        select(Occurrence, Invitation)
        .join(Invitation, Invitation.id == Occurrence.invitation_id)
        .join(Schedule, Schedule.id == Occurrence.schedule_id)
        .where(
            Schedule.client_id == client.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at <= now,
        )
        .order_by(Occurrence.due_at.desc())
    )
    return [(o, i) for o, i in (await session.execute(statement)).all()]
