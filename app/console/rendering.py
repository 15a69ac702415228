"""Console pages: the layout's context (who is signed in, CSRF token, texts) and error pages.

Every page is in the staff member's language (app/console/language.py): its texts, its
`<html lang>` and Content-Language, and its dates and numbers.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.accounts.models import User
from app.console.language import request_locale
from app.console.session import COOKIE, PRE_SESSION_COOKIE, set_cookie
from app.console.texts import LANGUAGE_NAMES, LOCALES, texts
from app.errors import AppError, Conflict, Forbidden, NotFound, TooManyRequests
from app.web.csrf import CsrfRefused, csrf_token
from app.web.headers import CONSOLE_HEADERS
from app.web.templates import render_page

PRE_SESSION_SECONDS = 2 * 60 * 60


def redirect(target: str) -> RedirectResponse:
    """303 to a console page after a form, so a reload never sends it again."""
    return RedirectResponse(target, status_code=303, headers=dict(CONSOLE_HEADERS))


def page(
    request: Request,
    template: str,
    user: User | None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A console page; its forms carry the CSRF token of the browser's session."""
    settings = request.app.state.settings
    binding = request.cookies.get(COOKIE) or request.cookies.get(PRE_SESSION_COOKIE)
    new_binding = None
    if not binding:
        binding = new_binding = secrets.token_urlsafe(32)
    locale = request_locale(request)
    response = render_page(
        template,
        status_code,
        headers,
        t=texts(locale),
        locale=locale,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LOCALES if code != locale],
        user=user,
        path=request.url.path,
        csrf=csrf_token(settings.secret_key.get_secret_value(), binding),
        **context,
    )
    if new_binding:
        set_cookie(response, settings, PRE_SESSION_COOKIE, new_binding, PRE_SESSION_SECONDS)
    return response


def error_page(request: Request, error: AppError) -> HTMLResponse:
    """An error as a page: what happened and the way on, with the error's status."""
    t = texts(request_locale(request))
    if isinstance(error, NotFound):
        title, body = t["not_found_title"], t["not_found_body"]
    elif isinstance(error, CsrfRefused):
        title, body = t["refused_title"], refusal_detail(error, t)
    elif isinstance(error, Forbidden):
        title, body = t["forbidden_title"], refusal_detail(error, t)
    elif isinstance(error, Conflict):
        title, body = t["conflict_title"], refusal_detail(error, t)
    elif isinstance(error, TooManyRequests):
        minutes = max(1, (error.retry_after + 59) // 60)
        title, body = t["problem_title"], t["wait_body"].format(minutes=minutes)
    elif error.status < 500:
        title, body = t["problem_title"], error.detail
    else:
        title, body = t["problem_title"], t["problem_body"]
    headers = {}
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    # Who is signed in is not known here (the lookup may be what failed): no personal nav.
    return page(
        request, "console/message.html", None, error.status, headers, title=title, lines=[body]
    )


#: The refusals the console can meet, in its own words (else the service's detail).
REFUSALS = {
    "This form is missing its security token. Reload the page and retry.": "refused_missing",
    "This form's security token has expired. Reload the page and retry.": "refused_expired",
    "This form was sent from another site, so it was not accepted.": "refused_origin",
    "Your role does not give access to this page.": "forbidden_body",
    "This is the organization's last active admin; make another user admin first.": ("last_admin"),
    "This invitation was already used, so it cannot be revoked.": "link_not_pending",
}


def refusal_detail(error: AppError, t: Mapping[str, str]) -> str:
    """What a refusal says, in the page's language when the console knows it."""
    key = REFUSALS.get(error.detail)
    return t[key] if key else error.detail
