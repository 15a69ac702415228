"""Console pages: the layout's context (who is signed in, CSRF token, texts) and error pages."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.accounts.models import User
from app.console.session import COOKIE, PRE_SESSION_COOKIE, set_cookie
from app.console.texts import texts
from app.errors import AppError, Conflict, Forbidden, NotFound, TooManyRequests
from app.web.csrf import CsrfRefused, csrf_token
from app.web.templates import render_page

PRE_SESSION_SECONDS = 2 * 60 * 60


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
    response = render_page(
        template,
        status_code,
        headers,
        t=texts(),
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
    t = texts()
    if isinstance(error, NotFound):
        title, body = t["not_found_title"], t["not_found_body"]
    elif isinstance(error, CsrfRefused):
        title, body = t["refused_title"], error.detail
    elif isinstance(error, Forbidden):
        title, body = t["forbidden_title"], error.detail
    elif isinstance(error, Conflict):
        title, body = t["conflict_title"], error.detail
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
