"""Intake links by email, through the outbox, to a real SMTP server; delivery status; opt-out."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.accounts.models import Organization
from app.db import utcnow
from app.mail.messages import local_time
from app.outbox.models import OutboxAttempt, OutboxMessage
from app.outbox.worker import deliver_due
from tests.clinic.conftest import PUBLIC_URL, add_client
from tests.conftest import new_staff, snapshot
from tests.mailserver import MailServer, Received
from tests.schedules.conftest import complete

LABEL = "Robin (Thursdays)"


async def send_due(app: FastAPI) -> int:
    """One round of the outbox worker."""
    return await deliver_due(app.state.sessionmaker, app.state.outbox_channels)


async def make_due(app: FastAPI) -> None:
    """Skip the backoff wait instead of sleeping through it."""
    async with app.state.sessionmaker.begin() as session:
        await session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))


async def invite(
    client: httpx.AsyncClient, staff: dict[str, str], client_id: str, **body: Any
) -> httpx.Response:
    body = {"questionnaires": ["connection", "three-item-loneliness"], "send_email": True} | body
    return await client.post(f"/v1/clients/{client_id}/invitations", json=body, headers=staff)


async def outbox(app: FastAPI) -> list[OutboxMessage]:
    async with app.state.sessionmaker() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


def parts(received: Received) -> tuple[str, str]:
    text, html = received.message.get_body(("plain",)), received.message.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


async def test_an_emailed_link_arrives_and_its_delivery_is_shown(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, LABEL, email="robin@example.org")
    created = await invite(client, staff, person["id"], language="es")
    assert created.status_code == 201, created.text
    link = created.json()["url"]
    assert created.json()["email"] == {"status": "pending", "failure": None, "sent_at": None}
    # The address and the link are sealed in the outbox, not readable in the row.
    (queued,) = await outbox(mailing_app)
    assert "robin@example.org" not in str(queued.payload)
    assert link.rsplit("/", 1)[1] not in str(queued.payload)

    assert await send_due(mailing_app) == 1
    (received,) = mail.mailbox.wait_for(1)
    message = received.message
    assert received.recipients == ["robin@example.org"]
    assert message["Subject"].endswith("te pide que respondas unas preguntas")
    text, html = parts(received)
    assert link in text
    assert f'href="{link}"' in html
    unsubscribe = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"])
    assert unsubscribe is not None
    assert unsubscribe.group(1).startswith(f"{PUBLIC_URL}/email/unsubscribe/{person['id']}.")
    # Never the client's label, a score or a flag: only who sends it and until when.
    assert LABEL not in text + html + message["Subject"]
    assert message["Message-ID"] == f"<{queued.id}@attune>"

    listed = await client.get(f"/v1/clients/{person['id']}/invitations", headers=staff)
    (shown,) = listed.json()["items"]
    assert shown["email"]["status"] == "delivered"
    assert shown["email"]["sent_at"] is not None
    (settled,) = await outbox(mailing_app)
    assert settled.payload == {}  # nothing of the address or link is kept once delivered


async def test_the_expiry_in_an_emailed_link_is_in_the_organizations_zone(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, organization = await new_staff(mailing_app, "therapist")
    async with mailing_app.state.sessionmaker.begin() as session:
        await session.execute(
            update(Organization)
            .where(Organization.id == organization)
            .values(time_zone="Asia/Tokyo")
        )
    person = await add_client(client, staff, LABEL, email="robin@example.org")
    created = await invite(client, staff, person["id"])
    assert created.status_code == 201, created.text
    await send_due(mailing_app)
    (received,) = mail.mailbox.wait_for(1)
    text, _ = parts(received)
    expires = datetime.fromisoformat(created.json()["expires_at"])
    assert local_time(expires, "en", "Asia/Tokyo") in text
    assert local_time(expires, "en", "UTC") not in text


async def test_a_refused_address_fails_at_once_and_says_so(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="refused-robin@example.org")
    created = await invite(client, staff, person["id"])
    assert await send_due(mailing_app) == 1
    await make_due(mailing_app)
    assert await send_due(mailing_app) == 0  # permanent: never tried again
    listed = await client.get(f"/v1/clients/{person['id']}/invitations", headers=staff)
    (shown,) = listed.json()["items"]
    assert shown["id"] == created.json()["id"]
    assert shown["email"]["status"] == "failed"
    assert shown["email"]["failure"] == "the recipient was refused (550)"
    assert mail.mailbox.messages == []


async def test_a_temporary_refusal_is_retried(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="later-robin@example.org")
    await invite(client, staff, person["id"])
    assert await send_due(mailing_app) == 1
    (message,) = await outbox(mailing_app)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.next_attempt_at > utcnow()
    await make_due(mailing_app)
    assert await send_due(mailing_app) == 1
    async with mailing_app.state.sessionmaker() as session:
        tries = list((await session.execute(select(OutboxAttempt))).scalars())
    assert [t.error for t in tries] == ["the recipient was refused for now (451)"] * 2


@pytest.mark.parametrize(
    ("client_body", "detail"),
    [({}, "has no email address"), ({"email": "robin@example.org"}, None)],
)
async def test_without_an_address_nothing_is_created(
    mailing_app: FastAPI,
    client: httpx.AsyncClient,
    client_body: dict[str, str],
    detail: str | None,
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, **client_body)
    before = await snapshot(mailing_app)
    response = await invite(client, staff, person["id"])
    if detail is None:
        assert response.status_code == 201
        return
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["pointer"] == "#/send_email"
    assert detail in error["detail"]
    assert await snapshot(mailing_app) == before


async def test_the_client_can_stop_the_emails_and_the_therapist_sees_it(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="robin@example.org")
    await invite(client, staff, person["id"])
    await invite(client, staff, person["id"], questionnaires=["connection"])
    await send_due(mailing_app)
    first, _second = mail.mailbox.wait_for(2)
    address = re.fullmatch(r"<(.+)>", first.message["List-Unsubscribe"])
    assert address is not None
    path = address.group(1).removeprefix(PUBLIC_URL)

    asked = await client.get(path, headers={"Accept-Language": "es"})
    assert asked.status_code == 200
    assert "No quiero recibir más estos correos" in asked.text
    assert asked.headers["cache-control"] == "no-store"
    # A mail client's one-click request (RFC 8058), then the page's button: the same answer.
    for _ in range(2):
        done = await client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        assert "no more of these emails" in done.text
    shown = await client.get(f"/v1/clients/{person['id']}", headers=staff)
    assert shown.json()["email_opt_out"] is True

    refused = await invite(client, staff, person["id"])
    assert refused.status_code == 422
    assert "asked not to receive emails" in refused.json()["errors"][0]["detail"]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_altered_unsubscribe_code_changes_nothing(
    mailing_app: FastAPI, client: httpx.AsyncClient, method: str
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="robin@example.org")
    before = await snapshot(mailing_app)
    for code in (f"{person['id']}.{'0' * 32}", "not-a-code", f"{person['id']}"):
        response = await client.request(method, f"/email/unsubscribe/{code}")
        assert response.status_code == 404
        assert "This link does not work" in response.text
    assert await snapshot(mailing_app) == before


async def test_sending_again_makes_a_new_link_and_the_old_one_stops(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="robin@example.org")
    first = (await invite(client, staff, person["id"])).json()
    again = await client.post(f"/v1/invitations/{first['id']}/send", json={}, headers=staff)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"]
    assert again.json()["url"] != first["url"]
    await send_due(mailing_app)
    # The first email was still waiting when the new link was made: it is not sent with a
    # dead link, and says why; only the new link arrives.
    (received,) = mail.mailbox.wait_for(1)
    assert again.json()["url"] in parts(received)[0]
    assert first["url"] not in parts(received)[0]
    settled = {m.status: m for m in await outbox(mailing_app)}
    assert settled["failed"].failure == "not sent: a newer link replaced this one"
    assert settled["delivered"].reference_id == settled["failed"].reference_id
    assert (await client.get(first["url"].removeprefix(PUBLIC_URL))).status_code == 404
    assert (await client.get(again.json()["url"].removeprefix(PUBLIC_URL))).status_code == 200

    revoked = await client.post(f"/v1/invitations/{first['id']}/revoke", headers=staff)
    assert revoked.status_code == 200
    refused = await client.post(f"/v1/invitations/{first['id']}/send", json={}, headers=staff)
    assert refused.status_code == 409


@pytest.mark.parametrize("meanwhile", ["nothing", "answered", "revoked", "expired"])
async def test_an_invitation_waiting_in_the_outbox_is_checked_again_when_it_is_sent(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer, meanwhile: str
) -> None:
    """The worker may get to an email late (busy, down, backing off): one whose link no
    longer works is not sent, and says why; the reminders' rule (EmailChannel.withdrawn)."""
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="robin@example.org")
    created = await invite(
        client, staff, person["id"], questionnaires=["three-item-loneliness"], expires_in_days=3
    )
    assert created.status_code == 201, created.text
    invitation = created.json()
    if meanwhile == "answered":
        await complete(client, invitation["url"].removeprefix(PUBLIC_URL))
    elif meanwhile == "revoked":
        revoked = await client.post(f"/v1/invitations/{invitation['id']}/revoke", headers=staff)
        assert revoked.status_code == 200
    # The worker's clock: an hour past the link's end when it expired meanwhile, else now.
    expires_at = datetime.fromisoformat(invitation["expires_at"])
    now = expires_at + timedelta(hours=1) if meanwhile == "expired" else utcnow()
    await deliver_due(mailing_app.state.sessionmaker, mailing_app.state.outbox_channels, now)

    (queued,) = await outbox(mailing_app)
    assert queued.kind == "invitation"
    if meanwhile == "nothing":
        (received,) = mail.mailbox.wait_for(1)
        assert invitation["url"] in parts(received)[0]
        assert queued.status == "delivered"
        return
    assert mail.mailbox.messages == []
    assert queued.status == "failed"
    assert (
        queued.failure
        == {
            "answered": "not sent: the client had already answered",
            "revoked": "not sent: the link was withdrawn",
            "expired": "not sent: the link had expired",
        }[meanwhile]
    )
    assert queued.payload == {}  # the sealed address and link are gone
    assert queued.attempts == 0
    # The therapist sees it on the invitation, with its reason.
    listed = await client.get(f"/v1/clients/{person['id']}/invitations", headers=staff)
    assert listed.status_code == 200, listed.text
    (shown,) = listed.json()["items"]
    assert shown["email"]["status"] == "failed"
    assert shown["email"]["failure"] == queued.failure


async def test_sending_again_writes_in_the_language_the_client_chose_on_the_form(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="robin@example.org")
    first = (await invite(client, staff, person["id"], language="en")).json()
    await send_due(mailing_app)
    (invited,) = mail.mailbox.wait_for(1)
    assert invited.message["Subject"].endswith("asks you to answer a few questions")
    # On the form the client switches to Spanish (saved and remembered on the invitation).
    switched = await client.post(
        first["url"].removeprefix(PUBLIC_URL), data={"step": "1", "switch": "es"}
    )
    assert switched.status_code == 303
    # The therapist re-sends it, leaving the language at English: the client's choice wins.
    again = await client.post(
        f"/v1/invitations/{first['id']}/send", json={"language": "en"}, headers=staff
    )
    assert again.status_code == 200, again.text
    await send_due(mailing_app)
    _, resent = mail.mailbox.wait_for(2)
    assert resent.message["Subject"].endswith("te pide que respondas unas preguntas")
    text, html = parts(resent)
    assert again.json()["url"] in text
    assert f'href="{again.json()["url"]}"' in html
    # A new link for the same client is written in their choice too.
    other = await invite(client, staff, person["id"], language="en")
    assert other.status_code == 201, other.text
    await send_due(mailing_app)
    *_, newest = mail.mailbox.wait_for(3)
    assert newest.message["Subject"].endswith("te pide que respondas unas preguntas")


async def test_sending_again_without_a_choice_uses_the_therapists_language(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="robin@example.org")
    first = (await invite(client, staff, person["id"], language="en")).json()
    again = await client.post(
        f"/v1/invitations/{first['id']}/send", json={"language": "es"}, headers=staff
    )
    assert again.status_code == 200, again.text
    await send_due(mailing_app)
    # The first (English) email was still waiting, so it is withheld with its dead link; the
    # re-sent one is in the language the therapist picked this time.
    (received,) = mail.mailbox.wait_for(1)
    assert received.message["Subject"].endswith("te pide que respondas unas preguntas")
