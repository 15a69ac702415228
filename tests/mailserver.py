"""A real SMTP server (aiosmtpd) for tests: it keeps every message it accepts, parsed.

With `tls=True` it speaks STARTTLS with a certificate from a throw-away authority (trustme)
and requires it before AUTH, as a real submission server does. Recipients are refused by
their local part, so tests can provoke each kind of failure:
`refused…@` gets 550 (permanent), `later…@` gets 451 (try again later), and the first
`hold…@` waits at RCPT until the test releases it (to kill a sender mid-conversation).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi import FastAPI

from app.mail.senders import SmtpSender
from app.outbox.channels.email import EmailChannel
from tests.servers import free_port

USERNAME = "attune"
PASSWORD = "mail-password with spaces"


@dataclass
class Received:
    """One accepted message: its envelope and the parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """What the server accepted, and a way to wait for it without sleeping."""

    messages: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first `count` messages, waiting until they have arrived."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"{len(self.messages)} of {count} messages arrived")
            return list(self.messages[:count])


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        local = address.partition("@")[0]
        if local.startswith("refused"):
            return "550 5.1.1 No such user here"
        if local.startswith("later"):
            return "451 4.3.0 Try again later"
        if local.startswith("hold") and not self.mailbox.holding.is_set():
            self.mailbox.holding.set()
            await asyncio.to_thread(self.mailbox.release.wait, 30)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.mailbox.arrived:
            self.mailbox.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed)
            )
            self.mailbox.arrived.notify_all()
        return "250 Message accepted"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
        USERNAME,
        PASSWORD,
    )
    # handled=False: aiosmtpd answers 235 or 535 itself.
    return AuthResult(success=ok, handled=False)


@dataclass
class MailServer:
    """A running test SMTP server."""

    url: str
    mailbox: Mailbox
    client_tls: ssl.SSLContext | None  # trusts the server's throw-away authority


@contextmanager
def smtp_server(*, tls: bool = False) -> Iterator[MailServer]:
    """A running SMTP server on a free port (STARTTLS and AUTH with `tls`), and its mailbox."""
    mailbox = Mailbox()
    port = free_port()
    options: dict[str, Any] = {}
    client_tls = None
    if tls:
        authority = trustme.CA()
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("localhost").configure_cert(server_tls)
        client_tls = ssl.create_default_context()
        authority.configure_trust(client_tls)
        options = {
            "tls_context": server_tls,
            "require_starttls": True,
            "authenticator": _authenticate,
            "auth_required": True,
        }
    controller = Controller(_Handler(mailbox), hostname="localhost", port=port, **options)
    controller.start()
    try:
        if tls:
            url = f"smtp://{USERNAME}:{PASSWORD.replace(' ', '%20')}@localhost:{port}"
        else:
            url = f"smtp+plain://localhost:{port}"
        yield MailServer(url, mailbox, client_tls)
    finally:
        controller.stop()


def send_email_through(app: FastAPI, server: MailServer) -> FastAPI:
    """Point the app's outbox email channel at a test SMTP server (the worker then sends there)."""
    sender = SmtpSender(server.url, "attune@clinic.example")
    app.state.outbox_channels["email"] = EmailChannel(app.state.settings, sender)
    return app
