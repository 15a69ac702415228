"""Reminders: after K days, at most M, never after completion, revoke or expiry, never at night."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.clinic.models import Invitation
from app.outbox.models import OutboxMessage
from app.outbox.worker import deliver_due
from app.schedules.models import ReminderPlan
from app.schedules.tick import tick
from tests.clinic.conftest import add_client
from tests.conftest import new_staff
from tests.mailserver import MailServer
from tests.schedules.conftest import complete, iso, link_in, morning, run, schedule, text_of
from tests.schedules.test_schedules import set_zone

REMINDER = "A reminder from"


async def reminding(
    app: FastAPI, client: httpx.AsyncClient, email: str | None = "sam@example.org", **body: object
) -> tuple[dict[str, str], dict[str, object]]:
    """A therapist and a client with a schedule that reminds after 2 days, at most twice."""
    staff, _, _ = await new_staff(app, "therapist")
    person = (
        await add_client(client, staff, email=email) if email else await add_client(client, staff)
    )
    fields = {"starts_at": iso(morning()), "count": 2, "remind_after_days": 2, "max_reminders": 2}
    made = await schedule(client, staff, person["id"], **(fields | body))
    assert made.status_code == 201, made.text
    return staff, made.json()


async def test_an_unanswered_link_is_reminded_every_k_days_at_most_m_times(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    await reminding(mailing_app, client)
    start = morning()
    assert await run(mailing_app, start) == (1, 0)
    (invited,) = mail.mailbox.wait_for(1)
    assert await run(mailing_app, start + timedelta(days=1, hours=23)) == (0, 0)
    assert await run(mailing_app, start + timedelta(days=2)) == (0, 1)
    assert await run(mailing_app, start + timedelta(days=2, hours=1)) == (0, 0)
    assert await run(mailing_app, start + timedelta(days=4)) == (0, 1)
    assert await run(mailing_app, start + timedelta(days=6)) == (0, 0)  # M reached
    messages = mail.mailbox.wait_for(3)
    reminders = [m for m in messages if m.message["Subject"].startswith(REMINDER)]
    assert len(reminders) == 2
    # The same link as the invitation, and the unsubscribe header, in every reminder.
    for reminder in reminders:
        assert link_in(reminder) == link_in(invited)
        assert reminder.message["List-Unsubscribe"] == invited.message["List-Unsubscribe"]
        assert "still open" in text_of(reminder)
    async with mailing_app.state.sessionmaker() as session:
        keys = sorted(
            m.dedup_key or "" for m in (await session.execute(select(OutboxMessage))).scalars()
        )
        invitation = (await session.execute(select(Invitation))).scalar_one()
    assert keys[1:] == [f"reminder:{invitation.id}:1", f"reminder:{invitation.id}:2"]


async def test_no_reminder_once_the_link_was_completed(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    await reminding(mailing_app, client)
    start = morning()
    await run(mailing_app, start)
    (invited,) = mail.mailbox.wait_for(1)
    await complete(client, link_in(invited))
    async with mailing_app.state.sessionmaker() as session:
        assert (await session.execute(select(Invitation))).scalar_one().used_at is not None
    assert await run(mailing_app, start + timedelta(days=2)) == (0, 0)
    assert await run(mailing_app, start + timedelta(days=4)) == (0, 0)
    assert len(mail.mailbox.messages) == 1


async def test_no_reminder_once_the_link_was_revoked(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _ = await reminding(mailing_app, client)
    start = morning()
    await run(mailing_app, start)
    async with mailing_app.state.sessionmaker() as session:
        invitation = (await session.execute(select(Invitation))).scalar_one()
    revoked = await client.post(f"/v1/invitations/{invitation.id}/revoke", headers=staff)
    assert revoked.status_code == 200
    assert await run(mailing_app, start + timedelta(days=2)) == (0, 0)
    assert len(mail.mailbox.wait_for(1)) == 1


async def test_no_reminder_at_or_after_expiry(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    # Expires after 3 days; reminders every 2: the second would come after expiry.
    await reminding(mailing_app, client, expires_in_days=3, max_reminders=5)
    start = morning()
    await run(mailing_app, start)
    assert await run(mailing_app, start + timedelta(days=2)) == (0, 1)
    assert await run(mailing_app, start + timedelta(days=4)) == (0, 0)
    assert await run(mailing_app, start + timedelta(days=10)) == (0, 0)
    async with mailing_app.state.sessionmaker() as session:
        plan = (await session.execute(select(ReminderPlan))).scalar_one()
    assert (plan.sent, plan.next_at) == (1, None)


async def test_a_reminder_due_at_night_waits_for_the_morning_in_the_zone(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, organization = await new_staff(mailing_app, "therapist")
    await set_zone(client, mailing_app, organization, "Asia/Tokyo")  # UTC+9, no DST
    person = await add_client(client, staff, email="ren@example.org")
    start = morning().replace(hour=13)  # 22:00 in Tokyo
    made = await schedule(
        client,
        staff,
        person["id"],
        starts_at=iso(start),
        count=1,
        remind_after_days=1,
        max_reminders=1,
    )
    assert made.status_code == 201
    assert await run(mailing_app, start) == (1, 0)
    night = start + timedelta(days=1)  # 22:00 Tokyo
    assert await run(mailing_app, night) == (0, 0)
    assert await run(mailing_app, night + timedelta(hours=9, minutes=59)) == (0, 0)  # 07:59
    assert await run(mailing_app, night + timedelta(hours=10)) == (0, 1)  # 08:00 Tokyo
    assert len(mail.mailbox.wait_for(2)) == 2


async def test_a_zone_changed_after_planning_still_keeps_the_night_quiet(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, organization = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="ana@example.org")
    start = morning().replace(hour=13)  # 13:00 UTC: not quiet in UTC
    await schedule(
        client,
        staff,
        person["id"],
        starts_at=iso(start),
        count=1,
        remind_after_days=1,
        max_reminders=1,
    )
    await run(mailing_app, start)
    await set_zone(client, mailing_app, organization, "Asia/Tokyo")  # now 22:00 there
    assert await run(mailing_app, start + timedelta(days=1)) == (0, 0)
    assert await run(mailing_app, start + timedelta(days=1, hours=10)) == (0, 1)
    assert len(mail.mailbox.wait_for(2)) == 2


async def test_a_single_invitation_can_be_reminded_and_a_resend_updates_the_link(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="lee@example.org")
    created = await client.post(
        f"/v1/clients/{person['id']}/invitations",
        json={
            "questionnaires": ["three-item-loneliness"],
            "send_email": True,
            "remind_after_days": 1,
            "max_reminders": 1,
        },
        headers=staff,
    )
    assert created.status_code == 201, created.text
    sent = await client.post(f"/v1/invitations/{created.json()['id']}/send", json={}, headers=staff)
    assert sent.status_code == 200, sent.text
    async with mailing_app.state.sessionmaker() as session:
        plan = (await session.execute(select(ReminderPlan))).scalar_one()
    assert plan.next_at is not None
    moment = plan.next_at
    assert await run(mailing_app, moment) == (0, 1)
    # The first email, still waiting when the link was re-sent, is withheld (its link is dead):
    # the re-sent invitation and the reminder arrive, both with the new link.
    messages = mail.mailbox.wait_for(2)
    new_link = sent.json()["url"].removeprefix("https://attune.example")
    assert [link_in(m) for m in messages] == [new_link, new_link]
    (reminder,) = [m for m in messages if m.message["Subject"].startswith(REMINDER)]
    assert link_in(reminder) == new_link  # not the first link, which no longer works


async def test_reminders_for_a_client_without_an_address_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    staff, _, _ = await new_staff(app, "therapist")
    person = await add_client(client, staff)
    refused = await client.post(
        f"/v1/clients/{person['id']}/invitations",
        json={"questionnaires": ["three-item-loneliness"], "remind_after_days": 2},
        headers=staff,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "#/remind_after_days"
    async with app.state.sessionmaker() as session:
        assert (await session.execute(select(Invitation))).first() is None


@pytest.mark.parametrize("meanwhile", ["nothing", "answered", "revoked", "expired"])
async def test_a_reminder_waiting_in_the_outbox_is_checked_again_when_it_is_sent(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer, meanwhile: str
) -> None:
    staff, _ = await reminding(mailing_app, client, expires_in_days=3)
    start = morning()
    await run(mailing_app, start)
    (invited,) = mail.mailbox.wait_for(1)
    # The tick writes the reminder; the worker has not got to it yet (busy, down, backing off).
    due = start + timedelta(days=2)
    assert await tick(mailing_app.state.sessionmaker, mailing_app.state.settings, due) == (0, 1)
    async with mailing_app.state.sessionmaker() as session:
        invitation = (await session.execute(select(Invitation))).scalar_one()
    if meanwhile == "answered":
        await complete(client, link_in(invited))
    elif meanwhile == "revoked":
        revoked = await client.post(f"/v1/invitations/{invitation.id}/revoke", headers=staff)
        assert revoked.status_code == 200
    # The worker's clock: an hour after the link's end when it expired meanwhile.
    sent_at = start + timedelta(days=3, hours=1) if meanwhile == "expired" else due
    channels = mailing_app.state.outbox_channels
    await deliver_due(mailing_app.state.sessionmaker, channels, sent_at)

    async with mailing_app.state.sessionmaker() as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == "reminder")
        (reminder,) = (await session.execute(statement)).scalars()
    if meanwhile == "nothing":
        (_, sent) = mail.mailbox.wait_for(2)
        assert sent.message["Subject"].startswith(REMINDER)
        assert reminder.status == "delivered"
        return
    assert len(mail.mailbox.messages) == 1  # the invitation only: no reminder went out
    assert reminder.status == "failed"
    assert (
        reminder.failure
        == {
            "answered": "not sent: the client had already answered",
            "revoked": "not sent: the link was withdrawn",
            "expired": "not sent: the link had expired",
        }[meanwhile]
    )
    assert reminder.payload == {}  # the sealed address and link are gone
    assert reminder.attempts == 0


async def test_reminders_and_the_next_links_speak_the_language_the_client_chose(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    await reminding(mailing_app, client, language="en")
    start = morning()
    await run(mailing_app, start)
    (invited,) = mail.mailbox.wait_for(1)
    assert invited.message["Subject"].endswith("asks you to answer a few questions")
    # On the form the client switches to Spanish (which saves the page and is remembered).
    path = link_in(invited)
    switched = await client.post(path, data={"step": "1", "switch": "es"})
    assert switched.status_code == 303
    assert await run(mailing_app, start + timedelta(days=2)) == (0, 1)
    _, reminder = mail.mailbox.wait_for(2)
    assert reminder.message["Subject"].startswith("Un recordatorio de")
    assert "siguen abiertas" in text_of(reminder)
    # The schedule's next link is sent in Spanish too, and opens in Spanish.
    assert await run(mailing_app, start + timedelta(weeks=2)) == (1, 0)
    *_, nxt = mail.mailbox.wait_for(3)
    assert nxt.message["Subject"].endswith("te pide que respondas unas preguntas")
    page = await client.get(link_in(nxt), headers={"Accept-Language": "en"})
    assert '<html lang="es">' in page.text
