"""The staff member's language: ``?lang=``, the language switch's cookie, Accept-Language.

The switch is a form in the layout (no script needed): it stores the choice in a cookie for
the whole site, so the password-reset pages and the reset email follow it too. The signed-in
staff member's choice is also kept on their account (`users.locale`), when they switch and
when they sign in, so the emails sent to them (a flagged result) are written in it.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import tokens
from app.accounts.models import User
from app.console.session import secure_cookies, session_token
from app.console.texts import LOCALES, texts
from app.errors import Unauthorized
from app.i18n import LANGUAGE_COOKIE, choose_locale
from app.mail.messages import LOCALES as EMAIL_LOCALES

#: A year: a language choice is a preference, not a secret.
COOKIE_SECONDS = 365 * 24 * 60 * 60


def request_locale(request: Request) -> str:
    """The language of this request's console page."""
    return choose_locale(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        LOCALES,
    )


def request_texts(request: Request) -> Mapping[str, str]:
    """The console's strings in this request's language."""
    return texts(request_locale(request))


def remember_locale(response: Response, request: Request, locale: str) -> None:
    """Keep the chosen language for the next pages (site-wide, for the reset pages too)."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        locale,
        max_age=COOKIE_SECONDS,
        path="/",
        secure=secure_cookies(request.app.state.settings),
        httponly=True,
        samesite="lax",
    )


def chosen_locale(request: Request) -> str | None:
    """The language the staff member picked (``?lang=`` or the switch's cookie), if any."""
    for explicit in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if explicit in LOCALES:
            return explicit
    return None


def keep_locale_at_sign_in(user: User, request: Request) -> None:
    """At sign-in: the language picked in the console becomes that of their emails.

    One never picked does not overwrite a stored one (set with `PATCH /v1/auth/me`); with
    neither, the page's own language (Accept-Language) is the best guess there is.
    """
    locale = chosen_locale(request) or user.locale or request_locale(request)
    if locale in EMAIL_LOCALES:  # a console language with no emails yet is not stored
        user.locale = locale


async def keep_locale_on_switch(session: AsyncSession, request: Request, locale: str) -> None:
    """On the switch: a signed-in staff member's emails follow it (signed out: the cookie only)."""
    token = session_token(request)
    if token is None or locale not in EMAIL_LOCALES:
        return
    try:
        user = await tokens.authenticate(session, token)
    except Unauthorized:
        return  # an ended session: the next sign-in keeps the choice
    user.locale = locale
