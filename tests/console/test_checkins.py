"""The client page's recurring check-ins and email delivery: schedules made, paused, resumed
and stopped from the console; missed check-ins; links sent by email, their delivery status
(queued, sent, not delivered, unsubscribed) and re-sent. A real SMTP server receives the
mail; the tick and the outbox worker run when the test says, with the test's clock.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_datetime
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.models import Organization, User
from app.clinic import emails, service
from app.config import Settings
from app.db import utcnow
from app.outbox.worker import deliver_due
from app.schedules.models import Schedule
from app.schedules.tick import tick
from tests.conftest import count, snapshot
from tests.console.browsing import ORIGIN, csrf_of, post_form, sign_in
from tests.console.seeding import therapist
from tests.mailserver import MailServer, Received

NONCE = re.compile(r'name="form_nonce" value="([^"]+)"')
PUBLIC = "http://attune.test"
#: English month abbreviations, as the console's dates show them.
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No background worker or ticker (the test runs them); links on the test's origin."""
    return Settings(
        database_url=database_url, environment="test", public_url=PUBLIC, outbox_poll_seconds=0
    )


async def a_client(
    app: FastAPI, email: str | None = "robin@client.test", zone: str | None = None
) -> tuple[str, str]:
    """A therapist's client; (the client page's path, the therapist's email)."""
    user_id, organization_id = await therapist(app)
    async with app.state.sessionmaker.begin() as session:
        if zone:
            (await session.get_one(Organization, organization_id)).time_zone = zone
        user = await session.get_one(User, user_id)
        found = await service.create_client(session, user, "Robin (Mondays)", email, None)
    return f"/console/clients/{found.id}", "sam@clinic.test"


def plan(**changes: Any) -> dict[str, Any]:
    """A schedule form: three-item loneliness every two weeks from tomorrow, three times."""
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    form = {
        "questionnaires": "three-item-loneliness",
        "every": "2",
        "unit": "weeks",
        "starts_at": tomorrow,
        "start_time": "10:00",
        "ends_by": "count",
        "count": "3",
        "ends_at": "",
        "expires_in_days": "7",
        "remind_after_days": "",
        "max_reminders": "2",
        "language": "en",
        "show_feedback": "yes",
    }
    return form | changes


async def schedule_form(client: httpx.AsyncClient, page: str, **changes: Any) -> httpx.Response:
    return await post_form(client, f"{page}/schedules", plan(**changes), from_page=page)


def main_text(html: str) -> str:
    """The page's text without tags (for the words a person reads)."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


async def test_a_two_weekly_check_in_in_the_organizations_time_zone(
    client: httpx.AsyncClient, mailing_app: FastAPI, mail: MailServer
) -> None:
    app = mailing_app
    page, email = await a_client(app, zone="Europe/Madrid")
    await sign_in(client, email)
    start = (utcnow() + timedelta(days=30)).date()
    made = await schedule_form(client, page, starts_at=start.isoformat(), start_time="09:30")
    assert made.status_code == 303, made.text
    assert made.headers["location"] == f"{page}?scheduled=1#schedules-title"
    async with app.state.sessionmaker() as session:
        (schedule,) = (await session.execute(select(Schedule))).scalars()
    # 09:30 typed is 09:30 in Madrid, stored in UTC.
    local = datetime.combine(start, datetime.min.time().replace(hour=9, minute=30))
    expected = local.replace(tzinfo=ZoneInfo("Europe/Madrid")).astimezone(UTC)
    assert schedule.starts_at.replace(tzinfo=UTC) == expected
    assert (schedule.every, schedule.unit, schedule.count) == (2, "weeks", 3)
    shown = main_text((await client.get(page + "?scheduled=1")).text)
    assert "The check-ins were scheduled" in shown
    assert "Times are in your organization's time zone, Europe/Madrid." in shown
    assert "Every 2 week(s)" in shown
    last = local + timedelta(weeks=4)
    # At Madrid's wall time, the zone named: "29 Jan 2027, 09:30 Europe/Madrid".
    first_words = f"{start.day} {MONTHS[start.month - 1]} {start.year}, 09:30 Europe/Madrid"
    last_words = f"{last.day} {MONTHS[last.month - 1]} {last.year}, 09:30 Europe/Madrid"
    for words in (
        "Status Active",
        "Sent so far 0 of 3",
        f"First check-in {first_words}",
        f"Last check-in {last_words} (After 3 check-ins)",
        f"Next check-in {first_words}",
    ):
        assert words in shown
    # In Spanish, the same moments in Spanish words (and still Madrid's wall time).
    spanish = main_text((await client.get(page + "?lang=es")).text)
    madrid = ZoneInfo("Europe/Madrid")
    last_es = format_datetime(last.replace(tzinfo=madrid), "d MMM y", locale="es")
    assert f"Último seguimiento {last_es}, 09:30 Europe/Madrid (Tras 3 seguimientos)" in spanish
    assert "Cada 2 semana(s)" in spanish

    # The first check-in falls due: the tick makes its invitation and emails it.
    await tick(app.state.sessionmaker, app.state.settings, expected)
    shown = main_text((await client.get(page)).text)
    assert "Sent so far 1 of 3" in shown
    assert "Waiting for answers · emailed" in shown
    assert "Queued" in shown
    await deliver_due(app.state.sessionmaker, app.state.outbox_channels)
    (received,) = mail.mailbox.wait_for(1)
    assert received.recipients == ["robin@client.test"]
    assert "Sent (" in main_text((await client.get(page)).text)

    schedule_id = schedule.id
    for action, word in (("pause", "Paused"), ("resume", "Active"), ("stop", "Stopped")):
        done = await post_form(
            client, f"/console/schedules/{schedule_id}/{action}", {}, from_page=page
        )
        assert done.status_code == 303, done.text
        shown = main_text((await client.get(done.headers["location"].split("#")[0])).text)
        assert f"Status {word}" in shown
    assert f"/console/schedules/{schedule_id}/pause" not in (await client.get(page)).text
    resumed = await post_form(
        client, f"/console/schedules/{schedule_id}/resume", {}, from_page=page
    )
    assert resumed.status_code == 409
    assert "This schedule was stopped" in resumed.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_by": "date", "ends_at": "2020-01-01"}, "ends_at"),  # ends before it starts
        ({"every": "0"}, "every"),
        ({"count": "101"}, "count"),
        ({"count": ""}, "count"),
        ({"unit": "days", "every": "1", "ends_by": "date", "ends_at": "2099-01-01"}, "ends_at"),
        ({"questionnaires": "not-on-offer"}, "questionnaires"),
        ({"questionnaires": []}, "questionnaires"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"expires_in_days": "31"}, "expires_in_days"),
        ({"remind_after_days": "0"}, "remind_after_days"),
    ],
)
async def test_a_wrong_schedule_names_its_field_and_creates_nothing(
    client: httpx.AsyncClient, app: FastAPI, changes: dict[str, Any], field: str
) -> None:
    page, email = await a_client(app)
    await sign_in(client, email)
    before = await snapshot(app)
    response = await schedule_form(client, page, **changes)
    assert response.status_code == 422, response.text
    assert f'href="#field-schedule-{field}"' in response.text
    assert f'id="error-schedule-{field}"' in response.text
    assert await snapshot(app) == before
    kept = re.search(r'name="every"[^>]* value="([^"]*)"', response.text)
    assert kept
    assert kept.group(1) == changes.get("every", "2")  # what was typed comes back


async def test_the_error_messages_say_what_to_do(client: httpx.AsyncClient, app: FastAPI) -> None:
    page, email = await a_client(app)
    await sign_in(client, email)
    backwards = await schedule_form(client, page, ends_by="date", ends_at="2020-01-01")
    assert "The end date is before the first date." in backwards.text
    daily = await schedule_form(
        client, page, unit="days", every="1", ends_by="date", ends_at="2099-01-01"
    )
    assert "more than 100 check-ins" in daily.text
    offered = await schedule_form(client, page, questionnaires="not-on-offer")
    assert "Choose at least one questionnaire that is on offer." in offered.text


async def test_a_double_submitted_schedule_makes_one(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    page, email = await a_client(app)
    await sign_in(client, email)
    html = (await client.get(page)).text
    nonces = NONCE.findall(html)
    data = plan() | {"csrf_token": csrf_of(html), "form_nonce": nonces[-1]}
    first = await client.post(f"{page}/schedules", data=data, headers=ORIGIN)
    again = await client.post(f"{page}/schedules", data=data, headers=ORIGIN)
    assert first.status_code == again.status_code == 303
    assert await count(app, "schedules") == 1


async def test_a_missed_check_in_is_listed(client: httpx.AsyncClient, app: FastAPI) -> None:
    page, email = await a_client(app, email=None)
    await sign_in(client, email)
    start = (utcnow() - timedelta(days=10)).replace(hour=10, minute=0, second=0, microsecond=0)
    made = await schedule_form(client, page, starts_at=start.date().isoformat())
    assert made.status_code == 303, made.text
    assert "Missed check-ins None." in main_text((await client.get(page)).text)
    await tick(app.state.sessionmaker, app.state.settings, start)  # made 10 days ago, 7 to live
    shown = main_text((await client.get(page)).text)
    missed = shown.split("Missed check-ins")[1].split("Schedule check-ins")[0]
    assert "Check-in Due 1 " in missed
    assert "None." not in missed


async def test_another_organizations_schedule_is_not_found(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    page, email = await a_client(app)
    await sign_in(client, email)
    assert (await schedule_form(client, page)).status_code == 303
    async with app.state.sessionmaker() as session:
        schedule_id = (await session.execute(select(Schedule.id))).scalar_one()
    client.cookies.clear()
    await therapist(app, "them@elsewhere.test")
    await sign_in(client, "them@elsewhere.test")
    before = await snapshot(app)
    home = (await client.get("/console")).text
    token = {"csrf_token": csrf_of(home)}
    for path in (
        f"{page}/schedules",
        f"/console/schedules/{schedule_id}/pause",
        f"/console/schedules/{schedule_id}/stop",
        f"/console/schedules/{uuid.uuid4()}/pause",
    ):
        response = await client.post(path, data=token | plan(), headers=ORIGIN)
        assert response.status_code == 404, path
        assert "Page not found" in response.text
        assert "Robin" not in response.text
    assert await snapshot(app) == before


async def test_a_schedule_post_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    page, email = await a_client(app)
    await sign_in(client, email)
    before = await snapshot(app)
    response = await client.post(f"{page}/schedules", data=plan(), headers=ORIGIN)
    assert response.status_code == 403
    assert "Request refused" in response.text
    assert await snapshot(app) == before


def plain_text(received: Received) -> str:
    part = received.message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def link_on(html: str) -> str:
    found = re.search(r'<code id="intake-url">([^<]+)</code>', html)
    assert found, "no link on the page"
    return found.group(1).removeprefix(PUBLIC)


async def send_link(client: httpx.AsyncClient, page: str, **extra: str) -> httpx.Response:
    form = {"questionnaires": "connection", "expires_in_days": "7", "show_feedback": "yes"}
    return await post_form(client, f"{page}/invitations", form | extra, from_page=page)


async def test_a_link_sent_by_email_is_still_shown_once_and_its_delivery_is_shown(
    client: httpx.AsyncClient, mailing_app: FastAPI, mail: MailServer
) -> None:
    app = mailing_app
    page, email = await a_client(app)
    await sign_in(client, email)
    html = (await client.get(page)).text
    assert "Also send the link by email to robin@client.test" in html
    made = await send_link(client, page, send_email="yes", language="es")
    assert made.status_code == 201, made.text
    assert "The link was also emailed to robin@client.test." in made.text
    assert "<svg" in made.text  # the QR code, as without email
    path = link_on(made.text)
    assert "Queued" in main_text((await client.get(page)).text)
    await deliver_due(app.state.sessionmaker, app.state.outbox_channels)
    (received,) = mail.mailbox.wait_for(1)
    assert path in plain_text(received)  # the same link as shown
    shown = main_text((await client.get(page)).text)
    assert "Sent (" in shown

    # Re-sent: a new link, shown once and emailed; the old one stops working.
    listed = (await client.get(page)).text
    resend = re.search(r'action="(/console/invitations/[0-9a-f-]+/send)"', listed)
    assert resend
    again = await post_form(client, resend.group(1), {"language": "en"}, from_page=page)
    assert again.status_code == 201, again.text
    new_path = link_on(again.text)
    assert new_path != path
    assert "The link was also emailed to robin@client.test." in again.text
    assert (await client.get(path)).status_code == 404
    assert (await client.get(new_path)).status_code == 200
    assert "Queued" in main_text((await client.get(page)).text)
    await deliver_due(app.state.sessionmaker, app.state.outbox_channels)
    mail.mailbox.wait_for(2)


async def test_a_refused_address_shows_as_not_delivered(
    client: httpx.AsyncClient, mailing_app: FastAPI, mail: MailServer
) -> None:
    app = mailing_app
    page, email = await a_client(app, email="refused@client.test")
    await sign_in(client, email)
    assert (await send_link(client, page, send_email="yes")).status_code == 201
    await deliver_due(app.state.sessionmaker, app.state.outbox_channels)
    shown = main_text((await client.get(page)).text)
    assert "Not delivered: " in shown
    assert "550" in shown


async def test_an_unsubscribed_client_is_shown_and_not_emailed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    page, email = await a_client(app)
    await sign_in(client, email)
    assert (await send_link(client, page, send_email="yes")).status_code == 201
    async with app.state.sessionmaker.begin() as session:
        await emails.opt_out(session, uuid.UUID(page.rsplit("/", 1)[1]))
    html = (await client.get(page)).text
    shown = main_text(html)
    assert "Not sent: the client unsubscribed" in shown
    assert "The client asked not to receive emails from this service" in shown
    assert 'name="send_email"' not in html
    assert '/send"' not in html  # no re-send
    before = await snapshot(app)
    forced = await send_link(client, page, send_email="yes")
    assert forced.status_code == 422
    assert 'href="#field-send_email"' in forced.text
    assert "asked not to receive emails" in forced.text
    assert await snapshot(app) == before


async def test_a_client_without_an_address_gets_no_email_choice(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    page, email = await a_client(app, email=None)
    await sign_in(client, email)
    html = (await client.get(page)).text
    assert 'name="send_email"' not in html
    assert "add the client's email address" in main_text(html)
    before = await snapshot(app)
    forced = await send_link(client, page, send_email="yes")
    assert forced.status_code == 422
    assert "The client has no email address" in forced.text
    assert await snapshot(app) == before
    plain = await send_link(client, page)
    assert plain.status_code == 201
    assert "also emailed" not in plain.text
    assert "Not sent by email" in main_text((await client.get(page)).text)


async def test_another_organizations_invitation_cannot_be_re_sent(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    page, email = await a_client(app)
    await sign_in(client, email)
    await send_link(client, page)
    listed = (await client.get(page)).text
    resend = re.search(r'action="(/console/invitations/[0-9a-f-]+/send)"', listed)
    assert resend
    client.cookies.clear()
    await therapist(app, "them@elsewhere.test")
    await sign_in(client, "them@elsewhere.test")
    before = await snapshot(app)
    home = (await client.get("/console")).text
    data = {"csrf_token": csrf_of(home), "language": "en", "form_nonce": "x" * 32}
    response = await client.post(resend.group(1), data=data, headers=ORIGIN)
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert await snapshot(app) == before
