"""/v1/clients/{id}/schedules, /v1/schedules/{id} and the organization's time zone."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.dependencies import CurrentAdmin, CurrentTherapist
from app.accounts.models import Organization
from app.clinic.dependencies import AppSettings, ClientInScope
from app.clinic.invitations import resolve_questionnaires
from app.config import Settings
from app.db import SessionDep, utcnow
from app.problems import problems
from app.questionnaires.dependencies import RegistryDep
from app.schedules import service
from app.schedules.models import Schedule
from app.schedules.presenters import present_occurrence, present_schedule
from app.schedules.schemas import (
    MissedList,
    ScheduleCreate,
    ScheduleList,
    ScheduleRead,
    TimeZoneRead,
    TimeZoneUpdate,
)

router = APIRouter(prefix="/v1", tags=["schedules"])

STAFF = problems(401, 403, 404, 422)
ADMIN = problems(401, 403, 422)


async def schedule_in_scope(
    schedule_id: uuid.UUID, session: SessionDep, user: CurrentTherapist
) -> Schedule:
    """The schedule named in the path, if it is for a client the caller may see."""
    return await service.find_schedule(session, user, schedule_id)


ScheduleInScope = Annotated[Schedule, Depends(schedule_in_scope)]


async def _read(session: AsyncSession, settings: Settings, schedule: Schedule) -> ScheduleRead:
    organization = await session.get_one(Organization, schedule.organization_id)
    found = await service.occurrences_of(session, [schedule.id])
    return present_schedule(
        settings, schedule, found, time_zone=organization.time_zone, now=utcnow()
    )


@router.post("/clients/{client_id}/schedules", status_code=status.HTTP_201_CREATED, responses=STAFF)
async def create_schedule(
    body: ScheduleCreate,
    client: ClientInScope,
    session: SessionDep,
    registry: RegistryDep,
    user: CurrentTherapist,
    settings: AppSettings,
) -> ScheduleRead:
    """Schedule questionnaires for the client every N days or weeks (at most 100 times).

    Each occurrence makes one invitation, emailed when the client has an address (else its
    link is shown on the schedule to pass on); reminders follow after `remind_after_days`.
    """
    chosen = resolve_questionnaires(registry, body.questionnaires)
    plan = service.Plan(
        questionnaires=chosen,
        **body.model_dump(exclude={"questionnaires"}),
    )
    schedule = await service.create_schedule(session, user, client, plan, utcnow())
    return await _read(session, settings, schedule)


@router.get("/clients/{client_id}/schedules", responses=STAFF)
async def list_schedules(
    client: ClientInScope, session: SessionDep, settings: AppSettings
) -> ScheduleList:
    """The client's schedules with their occurrences, newest first."""
    found = await service.list_schedules(session, client)
    organization = await session.get_one(Organization, client.organization_id)
    occurrences = await service.occurrences_of(session, [s.id for s in found])
    now = utcnow()
    return ScheduleList(
        items=[
            present_schedule(settings, s, occurrences, time_zone=organization.time_zone, now=now)
            for s in found
        ]
    )


@router.get("/clients/{client_id}/missed", responses=STAFF)
async def list_missed(
    client: ClientInScope, session: SessionDep, settings: AppSettings
) -> MissedList:
    """Scheduled check-ins whose link expired unanswered, newest first."""
    now = utcnow()
    organization = await session.get_one(Organization, client.organization_id)
    missed = await service.missed_occurrences(session, client, now)
    return MissedList(
        items=[
            present_occurrence(
                settings, o, i, time_zone=organization.time_zone, language="en", now=now
            )
            for o, i in missed
        ]
    )


@router.get("/schedules/{schedule_id}", responses=STAFF)
async def get_schedule(
    schedule: ScheduleInScope, session: SessionDep, settings: AppSettings
) -> ScheduleRead:
    """One schedule with its occurrences (times in UTC and in the organization's zone)."""
    return await _read(session, settings, schedule)


@router.post("/schedules/{schedule_id}/pause", responses=STAFF | problems(409))
async def pause_schedule(
    schedule: ScheduleInScope, session: SessionDep, settings: AppSettings
) -> ScheduleRead:
    """Make no occurrences until resumed. Repeating it changes nothing; 409 once stopped."""
    await service.pause_schedule(session, schedule)
    return await _read(session, settings, schedule)


@router.post("/schedules/{schedule_id}/resume", responses=STAFF | problems(409))
async def resume_schedule(
    schedule: ScheduleInScope, session: SessionDep, settings: AppSettings
) -> ScheduleRead:
    """Make occurrences again from the next one due; those due while paused are skipped."""
    await service.resume_schedule(session, schedule, utcnow())
    return await _read(session, settings, schedule)


@router.post("/schedules/{schedule_id}/stop", responses=STAFF)
async def stop_schedule(
    schedule: ScheduleInScope, session: SessionDep, settings: AppSettings
) -> ScheduleRead:
    """End the schedule for good; links already sent keep working until they expire."""
    await service.stop_schedule(session, schedule, utcnow())
    return await _read(session, settings, schedule)


@router.get("/organization/time-zone", responses=problems(401, 403))
async def get_time_zone(session: SessionDep, user: CurrentTherapist) -> TimeZoneRead:
    """The organization's time zone (schedules, quiet hours, dates shown)."""
    organization = await session.get_one(Organization, user.organization_id)
    return TimeZoneRead(time_zone=organization.time_zone)


@router.put("/organization/time-zone", responses=ADMIN)
async def set_time_zone(
    body: TimeZoneUpdate, session: SessionDep, admin: CurrentAdmin
) -> TimeZoneRead:
    """Set the organization's IANA time zone (`Europe/Madrid`); new schedules use it."""
    name = await service.set_time_zone(session, admin.organization_id, body.time_zone)
    return TimeZoneRead(time_zone=name)
