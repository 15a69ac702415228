"""The unsubscribe page a client reaches from an email (HTML, not under /v1).

`GET` asks (a mail scanner that follows links must not unsubscribe anyone); `POST` records
it, from the page's button or from a mail client's one-click request (RFC 8058). The code in
the path is the client's id with a MAC: an altered one is a 404, and nothing else is shown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import HTMLResponse

from app.clinic.emails import client_of_code, opt_out
from app.config import Settings
from app.db import SessionDep
from app.i18n import negotiate_locale, parse_accept_language
from app.intake.pages import LOCALES, render

router = APIRouter(tags=["email"], include_in_schema=False)

TEXTS = {
    "en": {
        "ask_title": "Stop these emails",
        "ask": "You will no longer get emails from this service about questionnaires. Your "
        "therapist will see that you asked, and you can tell them if you change your mind.",
        "button": "Stop sending me these emails",
        "done_title": "You will get no more of these emails",
        "done": "Your therapist can see that you asked. If you change your mind, tell them.",
        "unknown_title": "This link does not work",
        "unknown": "Please use the link from the email exactly as it is.",
    },
    "es": {
        "ask_title": "Dejar de recibir estos correos",
        "ask": "Ya no recibirás correos de este servicio sobre cuestionarios. Tu terapeuta "
        "verá que lo pediste, y puedes decírselo si cambias de opinión.",
        "button": "No quiero recibir más estos correos",
        "done_title": "No recibirás más estos correos",
        "done": "Tu terapeuta puede ver que lo pediste. Si cambias de opinión, díselo.",
        "unknown_title": "Este enlace no funciona",
        "unknown": "Usa el enlace del correo tal como está.",
    },
}
Code = Annotated[str, Path(max_length=100)]


def _locale(accept_language: str | None) -> str:
    return negotiate_locale(parse_accept_language(accept_language), LOCALES, "en")


def _page(locale: str, kind: str, status_code: int = 200, ask: bool = False) -> HTMLResponse:
    texts = TEXTS[locale]
    return render(
        "unsubscribe.html",
        locale,
        status_code,
        title=texts[f"{kind}_title"],
        lines=[texts[kind]],
        ask=ask,
        button=texts["button"],
    )


@router.get("/email/unsubscribe/{code}", response_class=HTMLResponse)
async def ask_to_unsubscribe(
    code: Code,
    request: Request,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """A page with one button that stops the emails."""
    settings: Settings = request.app.state.settings
    locale = _locale(accept_language)
    if client_of_code(settings, code) is None:
        return _page(locale, "unknown", 404)
    return _page(locale, "ask", ask=True)


@router.post("/email/unsubscribe/{code}", response_class=HTMLResponse)
async def unsubscribe(
    code: Code,
    request: Request,
    session: SessionDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """Record that the client wants no more emails (again: the same page)."""
    settings: Settings = request.app.state.settings
    locale = _locale(accept_language)
    client_id = client_of_code(settings, code)
    if client_id is None:
        return _page(locale, "unknown", 404)
    await opt_out(session, client_id)
    return _page(locale, "done")
