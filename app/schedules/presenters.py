"""Schedules and occurrences as the API shows them: UTC, and the organization's local time."""

from __future__ import annotations

from datetime import datetime

from app.clinic.invitations import invitation_status
from app.clinic.models import Invitation
from app.clinic.schemas import QuestionnaireRef
from app.config import Settings
from app.mail.messages import local_time
from app.schedules.models import Occurrence, Schedule
from app.schedules.reminders import open_link
from app.schedules.schemas import OccurrenceRead, ScheduleRead
from app.schedules.service import total_of


def present_occurrence(
    settings: Settings,
    occurrence: Occurrence,
    invitation: Invitation | None,
    *,
    time_zone: str,
    language: str,
    now: datetime,
) -> OccurrenceRead:
    """One occurrence; the link only while it can still be passed on by hand."""
    status = None if invitation is None else invitation_status(invitation, now)
    url = None
    if occurrence.sealed_link and status == "pending":
        url = open_link(settings, occurrence.sealed_link)
    return OccurrenceRead(
        number=occurrence.number,
        due_at=occurrence.due_at,
        due_local=local_time(occurrence.due_at, language, time_zone),
        invitation_id=occurrence.invitation_id,
        status=status,
        emailed=invitation is not None and occurrence.sealed_link is None,
        url=url,
    )


def present_schedule(
    settings: Settings,
    schedule: Schedule,
    occurrences: list[tuple[Occurrence, Invitation | None]],
    *,
    time_zone: str,
    now: datetime,
) -> ScheduleRead:
    """A schedule with its occurrences so far, newest first."""
    return ScheduleRead(
        id=schedule.id,
        client_id=schedule.client_id,
        questionnaires=[QuestionnaireRef.model_validate(q) for q in schedule.questionnaires],
        every=schedule.every,
        unit=schedule.unit,
        starts_at=schedule.starts_at,
        ends_at=schedule.ends_at,
        count=schedule.count,
        occurrences_total=total_of(schedule),
        time_zone=time_zone,
        expires_in_days=schedule.expires_in_days,
        remind_after_days=schedule.remind_after_days,
        max_reminders=schedule.max_reminders,
        status=schedule.status,
        next_due_at=schedule.next_due_at,
        occurrences=[
            present_occurrence(
                settings, o, i, time_zone=time_zone, language=schedule.language, now=now
            )
            for o, i in occurrences
            if o.schedule_id == schedule.id
        ],
    )
