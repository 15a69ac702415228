"""The messages Attune sends, each a typed context rendered from its kind's templates.

Each context names exactly what its message may say. None has a field for a score, a band,
a flag, an answer or a client's label: an email can be read over a shoulder or forwarded,
so it says who sends it, what it is and until when, and links to the rest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

LOCALES = ("en", "es")
DEFAULT_LOCALE = "en"

_html = Environment(
    loader=PackageLoader("app.mail", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
# Plain text and subjects are not HTML: escaping them would show "&amp;" to the reader.
_text = Environment(
    loader=PackageLoader("app.mail", "templates"),
    autoescape=False,  # noqa: S701 (text/plain parts and subjects, never rendered as HTML)
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Email:
    """One message ready to send: both parts, and the headers it needs beyond the basics."""

    to: str
    subject: str
    text: str
    html: str
    sender_name: str
    headers: dict[str, str] = field(default_factory=dict)


def local_time(moment: datetime, locale: str, time_zone: str) -> str:
    """A moment as a person reads it: in their language and their organization's time zone."""
    return format_datetime(
        moment, format="long", tzinfo=ZoneInfo(time_zone), locale=_supported(locale)
    )


def _supported(locale: str) -> str:
    language = locale.split("-")[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


@dataclass(frozen=True)
class Message:
    """What every message has: who it is for, in which language, from which clinic."""

    kind: ClassVar[str]
    to: str
    locale: str
    clinic_name: str

    def render(self, unsubscribe_url: str | None = None) -> Email:
        """The email, in the message's language (English when there is no such version)."""
        locale = _supported(self.locale)
        context = asdict(self) | {"unsubscribe_url": unsubscribe_url}
        folder = f"{self.kind}/{locale}"
        subject = _text.get_template(f"{folder}/subject.txt").render(context)
        headers = {}
        if unsubscribe_url:
            # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that posts here.
            headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return Email(
            to=self.to,
            subject=" ".join(subject.split()),
            text=_text.get_template(f"{folder}/body.txt").render(context),
            html=_html.get_template(f"{folder}/body.html").render(context),
            sender_name=self.clinic_name,
            headers=headers,
        )


@dataclass(frozen=True)
class InvitationMessage(Message):
    """A client is asked to answer questions through an intake link."""

    kind: ClassVar[str] = "invitation"
    link: str
    expires: str  # already in the client's language and the organization's time zone
    questionnaire_count: int


@dataclass(frozen=True)
class ReminderMessage(Message):
    """A client who has not finished an intake is reminded, with the same link."""

    kind: ClassVar[str] = "reminder"
    link: str
    expires: str
    questionnaire_count: int


@dataclass(frozen=True)
class PasswordResetMessage(Message):
    """A staff member asked to choose a new password."""

    kind: ClassVar[str] = "password-reset"
    link: str
    minutes: int


@dataclass(frozen=True)
class AttentionMessage(Message):
    """A therapist who opted in hears that a result needs their attention (nothing more)."""

    kind: ClassVar[str] = "attention"
    link: str
