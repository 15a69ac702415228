"""Senders: one interface, SMTP for production and a folder of `.eml` files for development.

Failures are told apart, because the outbox treats them differently: a *permanent* failure
(the server refused the address for good, a 5xx) stops the retries and is shown to the
therapist as "email not delivered"; a *transient* one (a 4xx, a refused or dropped
connection, a timeout) is tried again later.
"""

from __future__ import annotations

import asyncio
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from app.config import Settings
from app.mail.messages import Email

SCHEMES = {
    # scheme: (implicit TLS, STARTTLS)
    "smtps": (True, False),  # TLS from the first byte, usually port 465
    "smtp": (False, True),  # STARTTLS required, usually port 587
    "smtp+plain": (False, False),  # no TLS: only for a relay on the same host or network
}
DEFAULT_PORTS = {"smtps": 465, "smtp": 587, "smtp+plain": 25}


class DeliveryFailure(Exception):
    """The message was not delivered."""

    permanent: bool = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentFailure(DeliveryFailure):
    """The receiving side refused it for good: trying again will not help."""

    permanent = True


class TransientFailure(DeliveryFailure):
    """It may work later: a temporary refusal, a connection problem, a timeout."""


class Sender(Protocol):
    """Delivers one email or raises a DeliveryFailure."""

    async def send(self, email: Email) -> None:
        """Deliver it (or raise PermanentFailure / TransientFailure)."""


def build_message(email: Email, mail_from: str) -> EmailMessage:
    """The RFC 5322 message: plain text first, HTML as the alternative."""
    message = EmailMessage()
    message["From"] = formataddr((email.sender_name, mail_from))
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.headers.get("Message-ID") or make_msgid(
        domain=mail_from.rpartition("@")[2] or None
    )
    # Automated: out-of-office replies and auto-forwarders should stay quiet (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    for name, value in email.headers.items():
        if name != "Message-ID":
            message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


class SmtpSender:
    """Sends through an SMTP server named by a URL: smtp://, smtps:// or smtp+plain://."""

    def __init__(
        self,
        url: str,
        mail_from: str,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError(
                "ATTUNE_SMTP_URL must look like smtp://user:password@host:587 "
                "(STARTTLS), smtps://… (implicit TLS) or smtp+plain://host:25 (no TLS)"
            )
        self._use_tls, self._start_tls = SCHEMES[parts.scheme]
        self._host = parts.hostname
        self._port = parts.port or DEFAULT_PORTS[parts.scheme]
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._mail_from = mail_from
        self._timeout = timeout
        # None: the system's certificate authorities, with the host name checked.
        self._tls_context = tls_context

    async def send(self, email: Email) -> None:
        """Deliver over SMTP; refusals and connection problems become DeliveryFailures."""
        try:
            await aiosmtplib.send(
                build_message(email, self._mail_from),
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._use_tls,
                start_tls=self._start_tls,
                timeout=self._timeout,
                tls_context=self._tls_context,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [recipient.code for recipient in refused.recipients]
            raise _by_code(min(codes), "the recipient was refused") from refused
        except aiosmtplib.SMTPAuthenticationError as error:
            # Our credentials, not the address: the operator fixes them, then it goes out.
            raise TransientFailure(f"SMTP authentication failed ({error.code})") from error
        except aiosmtplib.SMTPResponseException as error:
            raise _by_code(error.code, "the server refused the message") from error
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            raise TransientFailure(
                f"could not reach the mail server ({type(error).__name__})"
            ) from error


def _by_code(code: int, what: str) -> DeliveryFailure:
    """5xx is a permanent refusal, anything else (4xx) a temporary one (RFC 5321 §4.2.1)."""
    if 500 <= code < 600:
        return PermanentFailure(f"{what} ({code})")
    return TransientFailure(f"{what} for now ({code})")


class FolderSender:
    """Development: writes each message as a readable `.eml` file into a folder."""

    def __init__(self, folder: Path, mail_from: str) -> None:
        self._folder = folder
        self._mail_from = mail_from

    async def send(self, email: Email) -> None:
        """Write the message; the file name sorts by nothing but is unique."""
        message = build_message(email, self._mail_from)
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(message))


class MailNotConfigured(RuntimeError):
    """Production without ATTUNE_SMTP_URL: email would go nowhere a client can read it."""


def sender_from_settings(settings: Settings) -> Sender:
    """SMTP when ATTUNE_SMTP_URL is set; otherwise the development folder (never in production)."""
    if settings.smtp_url is not None:
        url = settings.smtp_url.get_secret_value()
        return SmtpSender(url, settings.mail_from, settings.mail_timeout_seconds)
    if settings.environment == "production":
        raise MailNotConfigured(
            "ATTUNE_SMTP_URL is not set: set it to send email in production "
            "(smtp://user:password@host:587)"
        )
    return FolderSender(settings.mail_outbox_dir, settings.mail_from)
