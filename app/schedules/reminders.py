"""Reminders of an unanswered invitation: after K days, then every K days, at most M.

A reminder is never sent once the invitation was used, revoked or has expired, and never in
the quiet hours of the organization's time zone (it waits for their end). Each one is
written to the outbox once: its dedup key names the invitation and the reminder's number.
One already in the outbox when the client answers (or the link is revoked or expires) is
checked again when the worker claims it, and settled unsent (EmailChannel.withdrawn). It is
written in the language the client chose on the form, when they chose one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.clinic.emails import unsubscribe_url
from app.clinic.models import Client, Invitation
from app.config import Settings
from app.intake.language import remembered_language
from app.mail.messages import ReminderMessage, local_time
from app.outbox.channels.email import enqueue_email
from app.schedules.calendar import out_of_quiet_hours
from app.schedules.models import ReminderPlan
from app.sealing import seal, unseal

PURPOSE = "reminder-link"
BATCH = 50


def can_email(settings: Settings, client: Client) -> bool:
    """Whether emails to this client may be sent at all."""
    configured = settings.environment != "production" or settings.smtp_url is not None
    return configured and bool(client.email) and client.email_opt_out_at is None


def seal_link(settings: Settings, link: str) -> str:
    """An intake link sealed under the secret key (it is a credential)."""
    return seal(settings.secret_key.get_secret_value(), PURPOSE, link.encode())


def open_link(settings: Settings, sealed: str) -> str:
    """The link a `seal_link` sealed."""
    return unseal(settings.secret_key.get_secret_value(), PURPOSE, sealed).decode()


def reminder_at(
    settings: Settings, invitation: Invitation, after_days: int, number: int, time_zone: str
) -> datetime | None:
    """When reminder `number` (1 first) is due, out of quiet hours; None if past expiry."""
    moment = out_of_quiet_hours(
        invitation.created_at + timedelta(days=after_days * number),
        time_zone,
        settings.reminder_quiet_start_hour,
        settings.reminder_quiet_end_hour,
    )
    return moment if moment < invitation.expires_at else None


async def plan_reminders(
    session: AsyncSession,
    settings: Settings,
    invitation: Invitation,
    link: str,
    *,
    language: str,
    after_days: int,
    max_reminders: int,
) -> None:
    """Remind the client of this invitation (call once, when it is made)."""
    organization = await session.get_one(Organization, invitation.organization_id)
    plan = ReminderPlan(
        invitation_id=invitation.id,
        organization_id=invitation.organization_id,
        after_days=after_days,
        max_reminders=max_reminders,
        sent=0,
        next_at=reminder_at(settings, invitation, after_days, 1, organization.time_zone),
        sealed_link=seal_link(settings, link),
        language=language,
    )
    session.add(plan)
    await session.flush()


async def replace_link(
    session: AsyncSession, settings: Settings, invitation: Invitation, link: str
) -> None:
    """The invitation got a new link (a resend): reminders carry that one."""
    plan = await session.get(ReminderPlan, invitation.id)
    if plan is not None:
        plan.sealed_link = seal_link(settings, link)


async def send_due_reminders(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Write the reminders due at `now` to the outbox; how many were written."""
    statement = (
        select(ReminderPlan, Invitation)
        .join(Invitation, Invitation.id == ReminderPlan.invitation_id)
        .where(
            ReminderPlan.next_at <= now,
            ReminderPlan.sent < ReminderPlan.max_reminders,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .order_by(ReminderPlan.next_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True, of=ReminderPlan)
    )
    written = 0
    for plan, invitation in (await session.execute(statement)).all():
        organization = await session.get_one(Organization, plan.organization_id)
        zone = organization.time_zone
        allowed = out_of_quiet_hours(
            now, zone, settings.reminder_quiet_start_hour, settings.reminder_quiet_end_hour
        )
        if allowed > now:  # the zone changed since it was planned: wait for the morning
            plan.next_at = allowed if allowed < invitation.expires_at else None
            continue
        client = await session.get_one(Client, invitation.client_id)
        if not can_email(settings, client):
            plan.next_at = None
            continue
        number = plan.sent + 1
        assert client.email is not None  # can_email
        # The client's own choice on the form, when they made one, over the planned language.
        language = await remembered_language(session, invitation) or plan.language
        message = ReminderMessage(
            to=client.email,
            locale=language,
            clinic_name=organization.name,
            link=open_link(settings, plan.sealed_link),
            expires=local_time(invitation.expires_at, language, zone),
            questionnaire_count=len(invitation.questionnaires),
        )
        written += await enqueue_email(
            session,
            settings,
            message,
            organization_id=plan.organization_id,
            reference_id=invitation.id,
            unsubscribe_url=unsubscribe_url(settings, client.id),
            dedup_key=f"reminder:{invitation.id}:{number}",
        )
        plan.sent = number
        plan.next_at = (
            reminder_at(settings, invitation, plan.after_days, number + 1, zone)
            if number < plan.max_reminders
            else None
        )
    await session.flush()
    return written
