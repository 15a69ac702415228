"""'Forgot password' in Chromium against the real server: ask, get the email, follow its link.

The server sends through its own outbox worker to the test SMTP server (aiosmtpd); the test
waits for the message to arrive (a condition, not a sleep), then opens the emailed link.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from app.accounts import service
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from tests.browser import PHONE, on_database
from tests.conftest import clear_rows
from tests.mailserver import MailServer, smtp_server
from tests.servers import running_server

EMAIL = "sam@clinic.test"
NEW = "a brand new passphrase"


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[str, MailServer]]:
    """The running server (mail to a test SMTP server) with one therapist; rows deleted after."""

    async def setup() -> None:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with create_sessionmaker(engine).begin() as session:
                organization = await service.create_organization(session, "North Clinic")
                await service.create_user(
                    session, organization.id, EMAIL, "the old password", "therapist"
                )
        finally:
            await engine.dispose()

    with (
        smtp_server() as mail,
        running_server(
            database_url,
            ATTUNE_SMTP_URL=mail.url,
            ATTUNE_MAIL_FROM="attune@clinic.example",
            ATTUNE_OUTBOX_POLL_SECONDS="1",
        ) as base,
    ):
        asyncio.run(setup())
        try:
            yield base, mail
        finally:
            on_database(database_url, clear_rows)


def test_a_staff_member_resets_their_password_in_the_browser(
    site: tuple[str, MailServer],
    chromium: Browser,
) -> None:
    base, mail = site
    page = chromium.new_page(viewport=PHONE)
    page.goto(base + "/reset")
    page.get_by_label("Your work email").fill(EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"

    (received,) = mail.mailbox.wait_for(1, timeout=30)
    assert received.message["Subject"] == "Choose a new password for Attune (North Clinic)"
    text = received.message.get_body(("plain",))
    assert text is not None
    found = re.search(r"https?://\S+/reset/(atr_\S+)", text.get_content())
    assert found is not None
    link = f"{base}/reset/{found.group(1)}"

    opened = page.goto(link)
    assert opened is not None
    assert opened.status == 200
    page.get_by_label("New password").fill(NEW)
    page.get_by_role("button", name="Save my new password").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Your new password is saved"
    signed_in = httpx.post(f"{base}/v1/auth/token", data={"username": EMAIL, "password": NEW})
    assert signed_in.status_code == 200

    again = page.goto(link)
    assert again is not None
    assert again.status == 410
    assert "This link no longer works" in page.inner_text("main")
    assert page.get_by_label("Your work email").is_visible()  # it offers a new link
    page.close()
