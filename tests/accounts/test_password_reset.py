"""'Forgot password' over HTTP: the email through a real SMTP server, its link, its limits."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.models import Organization, User
from app.config import Settings
from app.db import utcnow
from app.outbox.models import OutboxMessage
from app.outbox.worker import deliver_due
from tests.accounts.staff import PASSWORD, bearer, login, new_user
from tests.conftest import snapshot
from tests.mailserver import MailServer, Received

PUBLIC_URL = "https://attune.example"
EMAIL = "sam@clinic.test"
NEW = "a brand new passphrase"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/reset/(atr_[A-Za-z0-9_-]+)")


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Public links on attune.example; no background sender (tests run the worker)."""
    return Settings(
        database_url=database_url,
        environment="test",
        public_url=PUBLIC_URL,
        outbox_poll_seconds=0,
        password_reset_account_limit="3/hour",
        password_reset_address_limit="6/hour",
    )


async def ask(client: httpx.AsyncClient, email: str = EMAIL) -> httpx.Response:
    """POST /v1/auth/password-reset."""
    return await client.post("/v1/auth/password-reset", json={"email": email})


async def emailed_token(app: FastAPI, mail: MailServer, count: int = 1) -> list[str]:
    """Run the outbox worker, then read the link of each of the first `count` messages."""
    await deliver_due(app.state.sessionmaker, app.state.outbox_channels)
    return [token_of(received) for received in mail.mailbox.wait_for(count)]


def token_of(received: Received) -> str:
    text = received.message.get_body(("plain",))
    html = received.message.get_body(("html",))
    assert text is not None
    assert html is not None
    found = LINK.search(text.get_content())
    assert found is not None
    assert f'href="{found.group(0)}"' in html.get_content()
    return found.group(1)


async def test_the_emailed_link_sets_a_new_password_once_and_ends_every_session(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    await new_user(mailing_app, EMAIL, role="therapist")
    sessions = [await bearer(client, EMAIL), await bearer(client, EMAIL)]
    asked = await ask(client, " Sam@Clinic.test ")
    assert asked.status_code == 202
    (token,) = await emailed_token(mailing_app, mail)
    (received,) = mail.mailbox.messages
    message = received.message
    assert received.recipients == [EMAIL]
    assert message["Subject"] == "Choose a new password for Attune (Clinic)"
    assert message["From"].startswith("Clinic <attune@clinic.example>")
    assert "within 30 minutes" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # Only the hash is stored: the token is in no row.
    assert token not in str(await snapshot(mailing_app))

    page = await client.get(f"/reset/{token}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'name="new_password"' in page.text
    assert 'autocomplete="new-password"' in page.text
    saved = await client.post(f"/reset/{token}", data={"new_password": NEW})
    assert saved.status_code == 200
    assert "Your new password is saved" in saved.text
    for auth in sessions:
        assert (await client.get("/v1/auth/me", headers=auth)).status_code == 401
    assert (await login(client, EMAIL, PASSWORD)).status_code == 401
    assert (await login(client, EMAIL, NEW)).status_code == 200

    again = await client.get(f"/reset/{token}")
    assert again.status_code == 410
    assert "This link no longer works" in again.text
    assert 'action="/reset"' in again.text  # it offers a new one
    reused = await client.post(f"/reset/{token}", data={"new_password": "yet another passphrase"})
    assert reused.status_code == 410
    assert (await login(client, EMAIL, NEW)).status_code == 200


async def test_the_api_confirms_with_the_token_and_refuses_it_after(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    await new_user(mailing_app, EMAIL, role="admin")
    await ask(client)
    (token,) = await emailed_token(mailing_app, mail)
    before = await snapshot(mailing_app)
    short = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": "short"}
    )
    assert short.status_code == 422
    assert [e["pointer"] for e in short.json()["errors"]] == ["#/new_password"]
    assert await snapshot(mailing_app) == before
    body = {"token": token, "new_password": NEW}
    done = await client.post("/v1/auth/password-reset/confirm", json=body)
    assert done.status_code == 204, done.text
    assert (await login(client, EMAIL, NEW)).status_code == 200
    spent = await client.post("/v1/auth/password-reset/confirm", json=body)
    assert spent.status_code == 422
    assert spent.headers["content-type"].startswith("application/problem+json")
    assert [e["pointer"] for e in spent.json()["errors"]] == ["#/token"]


async def test_a_link_expires_after_thirty_minutes(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    await new_user(mailing_app, EMAIL, role="therapist")
    await ask(client)
    (token,) = await emailed_token(mailing_app, mail)
    mailing_app.state.clock = lambda: utcnow() + timedelta(minutes=29)
    assert (await client.get(f"/reset/{token}")).status_code == 200
    mailing_app.state.clock = lambda: utcnow() + timedelta(minutes=31)
    before = await snapshot(mailing_app)
    expired = await client.get(f"/reset/{token}")
    assert expired.status_code == 410
    assert "it expired" in expired.text
    assert 'name="email"' in expired.text  # and it offers a new one
    body = {"token": token, "new_password": NEW}
    refused = await client.post("/v1/auth/password-reset/confirm", json=body)
    assert refused.status_code == 422
    assert await snapshot(mailing_app) == before
    assert (await login(client, EMAIL, PASSWORD)).status_code == 200


async def test_an_altered_link_gets_a_page_that_offers_a_new_one(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    await new_user(mailing_app, EMAIL, role="therapist")
    await ask(client)
    (token,) = await emailed_token(mailing_app, mail)
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    before = await snapshot(mailing_app)
    page = await client.get(f"/reset/{altered}")
    assert page.status_code == 404
    assert "This link no longer works" in page.text
    assert 'name="email"' in page.text
    posted = await client.post(f"/reset/{altered}", data={"new_password": NEW})
    assert posted.status_code == 404
    assert await snapshot(mailing_app) == before
    assert (await client.get(f"/reset/{token}")).status_code == 200  # the real one still works


async def test_an_unknown_email_gets_the_same_answer_and_nothing_is_stored(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    _, organization_id = await new_user(mailing_app, EMAIL, role="therapist")
    await new_user(mailing_app, "gone@clinic.test", "therapist", organization_id)
    async with mailing_app.state.sessionmaker.begin() as session:
        gone = (
            await session.execute(select(User).where(User.email == "gone@clinic.test"))
        ).scalar_one()
        gone.is_active = False
    known = await ask(client)
    before = await snapshot(mailing_app)
    for email in ("nobody@clinic.test", "gone@clinic.test"):
        unknown = await ask(client, email)
        assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert await snapshot(mailing_app) == before
    await emailed_token(mailing_app, mail, 1)
    assert [r.recipients for r in mail.mailbox.messages] == [[EMAIL]]


async def test_accounts_in_two_organizations_get_one_email_each(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    async with mailing_app.state.sessionmaker.begin() as session:
        north = Organization(name="North Clinic")
        south = Organization(name="South Clinic")
        session.add_all([north, south])
        await session.flush()
        ids = north.id, south.id
    await new_user(mailing_app, EMAIL, "therapist", ids[0])
    await new_user(mailing_app, EMAIL, "therapist", ids[1], password="the south password")
    await ask(client)
    tokens = await emailed_token(mailing_app, mail, 2)
    subjects = sorted(r.message["Subject"] for r in mail.mailbox.messages)
    assert subjects == [
        "Choose a new password for Attune (North Clinic)",
        "Choose a new password for Attune (South Clinic)",
    ]
    north_token = next(
        token_of(r) for r in mail.mailbox.messages if "North" in r.message["Subject"]
    )
    assert north_token in tokens
    body = {"token": north_token, "new_password": NEW}
    assert (await client.post("/v1/auth/password-reset/confirm", json=body)).status_code == 204
    # Only the North account changed: the South one still opens with its own password.
    assert (await login(client, EMAIL, "the south password")).status_code == 200
    assert (await login(client, EMAIL, NEW)).status_code == 200


async def test_requests_are_limited_per_email_and_per_address(
    mailing_app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_user(mailing_app, EMAIL, role="therapist")
    for email in (EMAIL, "nobody@clinic.test"):  # an email with or without an account alike
        for _ in range(3):
            assert (await ask(client, email)).status_code == 202
        limited = await ask(client, email)
        assert limited.status_code == 429
        assert "Retry-After" in limited.headers
    # Six were counted for this address: a seventh email is refused too.
    assert (await ask(client, "third@clinic.test")).status_code == 429
    page = await client.post("/reset", data={"email": "fourth@clinic.test"})
    assert page.status_code == 429
    assert "Please wait a little" in page.text
    async with mailing_app.state.sessionmaker() as session:
        queued = list((await session.execute(select(OutboxMessage))).scalars())
    assert len(queued) == 3  # one per accepted request for the real account


@pytest.mark.parametrize("email", ["not-an-email", "two@@clinic.test", "", "a b@clinic.test"])
async def test_a_malformed_email_is_refused_naming_the_field(
    mailing_app: FastAPI, client: httpx.AsyncClient, email: str
) -> None:
    before = await snapshot(mailing_app)
    response = await ask(client, email)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/email"]
    page = await client.post("/reset", data={"email": email})
    assert page.status_code == 422
    assert 'aria-invalid="true"' in page.text
    assert await snapshot(mailing_app) == before


async def test_the_request_page_sends_the_same_email(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    await new_user(mailing_app, EMAIL, role="therapist")
    form = await client.get("/reset")
    assert form.status_code == 200
    assert 'name="email"' in form.text
    sent = await client.post("/reset", data={"email": EMAIL})
    assert sent.status_code == 200
    assert "Check your email" in sent.text
    (token,) = await emailed_token(mailing_app, mail)
    assert (await client.get(f"/reset/{token}")).status_code == 200


async def test_the_email_is_in_the_accounts_language_when_it_has_one(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    await new_user(mailing_app, EMAIL, role="therapist")
    auth = await bearer(client, EMAIL)
    chose = await client.patch("/v1/auth/me", json={"locale": "es"}, headers=auth)
    assert chose.status_code == 200, chose.text
    # Asked from an English app: the account's own choice wins.
    asked = await client.post(
        "/v1/auth/password-reset", json={"email": EMAIL}, headers={"Accept-Language": "en"}
    )
    assert asked.status_code == 202
    (token,) = await emailed_token(mailing_app, mail)
    (received,) = mail.mailbox.messages
    assert received.message["Subject"] == "Elige una contraseña nueva para Attune (Clinic)"
    assert (await client.get(f"/reset/{token}")).status_code == 200
