"""The staff member's language: ``?lang=``, the language switch's cookie, Accept-Language.

The switch is a form in the layout (no script needed): it stores the choice in a cookie for
the whole site, so the password-reset pages and the reset email follow it too.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response

from app.console.session import secure_cookies
from app.console.texts import LOCALES, texts
from app.i18n import LANGUAGE_COOKIE, choose_locale

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
