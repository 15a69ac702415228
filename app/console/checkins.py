"""What the client page shows of reaching the client: schedules, missed check-ins, and the
email delivery of each invitation, in the organization's time zone.

Read through the same services and presenters as the API (app/schedules, app/clinic/emails);
only the words are the console's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.clinic import emails
from app.clinic.invitations import invitation_status
from app.clinic.models import Client, Invitation
from app.config import Settings
from app.console import submissions
from app.errors import InvalidInput
from app.schedules import service
from app.schedules.presenters import present_occurrence, present_schedule
from app.schedules.schemas import OccurrenceRead, ScheduleRead

#: What the API calls a delivery, as the console says it (texts' keys).
DELIVERY_KEYS = {"pending": "delivery_queued", "delivered": "delivery_sent"}
DELIVERY_KEYS["failed"] = "email_delivery_failed"
#: The outbox's reason when a pending email was stopped by the client's opt-out.
#: The client page's notices after a schedule's form (?scheduled=1 and so on): texts' keys.
NOTICES = {
    "scheduled": "schedule_made_notice",
    "paused": "schedule_paused",
    "resumed": "schedule_resumed",
    "stopped": "schedule_stopped",
}
#: A new schedule form's values.
SCHEDULE_DEFAULTS = {
    "every": "2",
    "unit": "weeks",
    "start_time": "09:00",
    "count": "6",
    "expires_in_days": "7",
    "max_reminders": "2",
    "language": "en",
    "show_feedback": True,
    "ends_by": "count",
}


@dataclass(frozen=True)
class ShownSchedule:
    """A schedule as the API presents it, with its last check-in (the page's `day` filter
    shows each moment in the staff member's language and the organization's zone)."""

    read: ScheduleRead
    last_at: datetime | None


@dataclass(frozen=True)
class ShownDelivery:
    """An invitation's latest email, in the console's words (a texts key and a detail)."""

    invitation: Invitation
    link_status: str
    status: str
    key: str | None
    detail: str | None
    sent_at: datetime | None
    resend_nonce: str


def can_email(settings: Settings, client: Client) -> bool:
    """Whether `check_can_email` would let a link be emailed to the client now."""
    try:
        emails.check_can_email(settings, client, "#/send_email")
    except InvalidInput:
        return False
    return True


async def schedules_context(
    session: AsyncSession,
    settings: Settings,
    client: Client,
    now: datetime,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The client's schedules, missed check-ins and the form to make a schedule."""
    organization = await session.get_one(Organization, client.organization_id)
    zone = organization.time_zone
    found = await service.list_schedules(session, client)
    occurrences = await service.occurrences_of(session, [s.id for s in found])
    shown = []
    for schedule in found:
        read = present_schedule(settings, schedule, occurrences, time_zone=zone, now=now)
        last = service.due_of(schedule, read.occurrences_total - 1)
        shown.append(ShownSchedule(read=read, last_at=last))
    # The page shows `due_at` through its `day` filter, not the API's `due_local`.
    missed: list[OccurrenceRead] = [
        present_occurrence(settings, o, i, time_zone=zone, language="en", now=now)
        for o, i in await service.missed_occurrences(session, client, now)
    ]
    today = now.astimezone(ZoneInfo(zone)).date().isoformat()
    return {
        "schedules": shown,
        "missed": missed,
        "time_zone": zone,
        "schedule_values": values or {**SCHEDULE_DEFAULTS, "starts_at": today},
        "schedule_errors": errors or {},
        "schedule_nonce": submissions.new_nonce(),
    }


async def deliveries_context(
    session: AsyncSession,
    settings: Settings,
    client: Client,
    links: list[Invitation],
    now: datetime,
) -> dict[str, Any]:
    """Each invitation's latest email (queued, sent, not delivered, unsubscribed)."""
    latest = await emails.deliveries(session, [i.id for i in links])
    shown = []
    for invitation in links:
        delivery = latest.get(invitation.id)
        if delivery is None:
            status, key, detail = "none", None, None
        elif delivery.failure == emails.OPTED_OUT or (
            client.email_opt_out_at is not None and delivery.status != "delivered"
        ):
            status, key, detail = "unsubscribed", "delivery_unsubscribed", None
        else:
            status, key = delivery.status, DELIVERY_KEYS[delivery.status]
            detail = delivery.failure
        shown.append(
            ShownDelivery(
                invitation=invitation,
                link_status=invitation_status(invitation, now),
                status=status,
                key=key,
                detail=detail,
                sent_at=delivery.sent_at if delivery else None,
                resend_nonce=submissions.new_nonce(),
            )
        )
    return {
        "deliveries": shown,
        "can_email": can_email(settings, client),
        "opted_out": client.email_opt_out_at,
    }


def local_moment(day: str, clock: str, zone: str) -> datetime | None:
    """A date (and a time of day) typed in the organization's zone; None if not one."""
    try:
        return datetime.combine(
            date.fromisoformat(day), time.fromisoformat(clock), tzinfo=ZoneInfo(zone)
        )
    except ValueError:
        return None
