"""The "forgot password" pages a reset email links to: /reset and /reset/{token} (HTML).

`GET /reset` asks for the email, `POST /reset` sends the link (the same answer whether or
not the email has an account). `GET /reset/{token}` shows a new-password form while the
link works, and otherwise a page that says it no longer works and asks for a new one;
`POST /reset/{token}` saves the password. The pages use the intake form's look and its
security headers (no caching, no Referer: the token is in the address). The use cases are
in app/accounts/resets.py, for the staff console to call as well.

The pages speak the staff console's languages, chosen as the console chooses: `?lang=` (the
console's sign-in page links here with it; the forms carry it on), then the console's
language switch (its cookie), then Accept-Language. The reset email is written in the
language of the page it was asked for on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from app.accounts import resets
from app.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.accounts.router import clock
from app.accounts.schemas import EMAIL_PATTERN
from app.db import SessionDep
from app.errors import AppError, InvalidInput
from app.i18n import LANGUAGE_COOKIE, choose_locale
from app.intake.pages import SECURITY_HEADERS
from app.ratelimit import Limiter, client_address

router = APIRouter(prefix="/reset", tags=["accounts"], include_in_schema=False)

Token = Annotated[str, PathParam(min_length=1, max_length=200)]

_templates = Environment(
    loader=ChoiceLoader(
        [PackageLoader("app.accounts", "templates"), PackageLoader("app.intake", "templates")]
    ),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
LOCALES = ("en", "es")

_EN = {
    "site": "Attune",
    "title": "Choose a new password",
    "ask_title": "Forgot your password?",
    "ask": "Enter the email you sign in with. We will send a link to choose a new password.",
    "email_label": "Your work email",
    "email_error": "Enter an email address, like name@clinic.example.",
    "send": "Email me a link",
    "sent_title": "Check your email",
    "sent": resets.REQUESTED,
    "password_label": "New password",
    "password_hint": "At least {min} characters. It replaces your old password for this "
    "account only.",
    "password_error": "Use {min} to {max} characters.",
    "save": "Save my new password",
    "saved_title": "Your new password is saved",
    "saved": "You can sign in with it now. You were signed out everywhere else.",
    "sign_in": "Sign in",
    "gone_title": "This link no longer works",
    "gone": "This link no longer works: it was used already, it expired, or it is not "
    "complete. You can ask for a new one below.",
    "wait_title": "Please wait a little",
    "wait": "There were many requests from your connection. Try again in {minutes} minute(s).",
    "unavailable_title": "This page is briefly unavailable",
    "unavailable": "Try again in a minute.",
    "problem_title": "Something went wrong",
    "problem": "Go back and try again.",
    "error_prefix": "Error:",
}

_ES = {
    "site": "Attune",
    "title": "Elige una contraseña nueva",
    "ask_title": "¿Olvidaste tu contraseña?",
    "ask": "Escribe el correo con el que inicias sesión. Te enviaremos un enlace para elegir "
    "una contraseña nueva.",
    "email_label": "Tu correo de trabajo",
    "email_error": "Escribe un correo, como nombre@clinica.example.",
    "send": "Envíame un enlace",
    "sent_title": "Revisa tu correo",
    "sent": "Si este correo pertenece a una cuenta del equipo, te llegará un enlace para elegir "
    "una contraseña nueva. Funciona una sola vez, durante un tiempo limitado.",
    "password_label": "Contraseña nueva",
    "password_hint": "Al menos {min} caracteres. Sustituye tu contraseña anterior solo en esta "
    "cuenta.",
    "password_error": "Usa de {min} a {max} caracteres.",
    "save": "Guardar mi contraseña nueva",
    "saved_title": "Se guardó tu contraseña nueva",
    "saved": "Ya puedes iniciar sesión con ella. Se cerraron tus sesiones en todos los demás "
    "sitios.",
    "sign_in": "Iniciar sesión",
    "gone_title": "Este enlace ya no funciona",
    "gone": "Este enlace ya no funciona: ya se usó, venció o no está completo. Puedes pedir "
    "uno nuevo aquí abajo.",
    "wait_title": "Espera un poco, por favor",
    "wait": "Hubo muchas solicitudes desde tu conexión. Vuelve a intentarlo en {minutes} "
    "minuto(s).",
    "unavailable_title": "Esta página no está disponible por un momento",
    "unavailable": "Vuelve a intentarlo en un minuto.",
    "problem_title": "Algo salió mal",
    "problem": "Vuelve atrás e inténtalo de nuevo.",
    "error_prefix": "Error:",
}

STRINGS: Mapping[str, Mapping[str, str]] = {"en": _EN, "es": _ES}


def page_locale(request: Request, sent: object = None) -> str:
    """The page's language: a form's `lang`, `?lang=`, the console's choice, Accept-Language."""
    explicit = sent if isinstance(sent, str) else request.query_params.get("lang")
    return choose_locale(
        explicit,
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        LOCALES,
    )


def _page(
    locale: str,
    title: str,
    lines: list[str],
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    t = STRINGS[locale]
    values = {"form": None, "error": None, "email": "", "action": ""} | context
    html = _templates.get_template("reset.html").render(
        locale=locale,
        t=t,
        title=t[title],
        lines=lines,
        hint=t["password_hint"].format(min=MIN_PASSWORD_LENGTH),
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        **values,
    )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={**SECURITY_HEADERS, "Content-Language": locale, **(headers or {})},
    )


def _problem_page(error: AppError, locale: str) -> HTMLResponse:
    t = STRINGS[locale]
    retry = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry else {}
    if error.status == 429:
        minutes = max(1, ((retry or 60) + 59) // 60)
        return _page(locale, "wait_title", [t["wait"].format(minutes=minutes)], 429, headers)
    if error.status == 503:
        return _page(locale, "unavailable_title", [t["unavailable"]], 503, headers)
    return _page(locale, "problem_title", [t["problem"]], error.status, headers)


@router.get("")
async def ask_for_link(request: Request) -> HTMLResponse:
    """The form asking for a reset link."""
    locale = page_locale(request)
    return _page(locale, "ask_title", [STRINGS[locale]["ask"]], form="request")


@router.post("")
async def send_link(request: Request, session: SessionDep, limiter: Limiter) -> HTMLResponse:
    """Send the link (the same page whether or not the email has an account), written in
    the language the page was shown in."""
    form = await request.form()
    locale = page_locale(request, form.get("lang"))
    t = STRINGS[locale]
    raw = form.get("email")
    email = raw.strip() if isinstance(raw, str) else ""
    if len(email) > 320 or not re.fullmatch(EMAIL_PATTERN, email):
        error = t["email_error"]
        return _page(locale, "ask_title", [t["ask"]], 422, form="request", error=error, email=email)
    try:
        await resets.request_reset(
            session,
            limiter,
            request.app.state.settings,
            address=client_address(request),
            email=email,
            now=clock(request),
            locale=locale,
        )
    except AppError as failure:
        await session.rollback()
        return _problem_page(failure, locale)
    return _page(locale, "sent_title", [t["sent"]])


@router.get("/{token}")
async def show_form(
    token: Token, request: Request, session: SessionDep, limiter: Limiter
) -> HTMLResponse:
    """The new-password form while the link works; otherwise a page offering a new link."""
    locale = page_locale(request)
    try:
        await resets.open_reset(session, token, clock(request))
    except resets.InvalidResetLink as error:
        return await _gone(request, session, limiter, error, locale)
    return _page(locale, "title", [], form="password", action=f"/reset/{token}")


@router.post("/{token}")
async def save_password(
    token: Token, request: Request, session: SessionDep, limiter: Limiter
) -> HTMLResponse:
    """Save the new password; every session of the account is logged out."""
    form = await request.form()
    locale = page_locale(request, form.get("lang"))
    t = STRINGS[locale]
    raw = form.get("new_password")
    password = raw if isinstance(raw, str) else ""
    try:
        await resets.confirm_reset(session, token, password, clock(request))
    except resets.InvalidResetLink as error:
        return await _gone(request, session, limiter, error, locale)
    except InvalidInput:
        await session.rollback()
        # The only rule a new password has (the service names it): its length.
        detail = t["password_error"].format(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)
        action = f"/reset/{token}"
        return _page(locale, "title", [], 422, form="password", action=action, error=detail)
    return _page(locale, "saved_title", [t["saved"]], form="signed")


async def _gone(
    request: Request,
    session: SessionDep,
    limiter: Limiter,
    error: resets.InvalidResetLink,
    locale: str,
) -> HTMLResponse:
    await session.rollback()
    settings = request.app.state.settings
    try:
        await resets.count_unknown_link(limiter, settings, client_address(request), error)
    except AppError as failure:
        return _problem_page(failure, locale)
    status_code = 410 if error.known else 404
    return _page(locale, "gone_title", [STRINGS[locale]["gone"]], status_code, form="request")
