"""`ConsoleRoute`: CSRF on every unsafe method, and errors as pages rather than JSON.

A route class, so the checks wrap the whole request (dependencies included): the request's
session has rolled back by the time an error page is rendered, so a refused or failed form
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from app.console.rendering import error_page
from app.console.session import COOKIE, PRE_SESSION_COOKIE, SignInRequired, clear_cookie
from app.errors import AppError, NotFound
from app.web.csrf import FIELD, SAFE_METHODS, check_origin, check_token, origin_of
from app.web.headers import CONSOLE_HEADERS

SIGN_IN = "/console/sign-in"


class ConsoleRoute(APIRoute):
    """A console route: see the module docstring."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                if request.method not in SAFE_METHODS:
                    await protect(request)
                return await original(request)
            except SignInRequired:
                return sign_in_redirect(request)
            except RequestValidationError:
                # Only path and query parameters are validated by FastAPI here (forms are
                # read by the pages): a malformed id is a page that does not exist.
                return error_page(request, NotFound("There is no such page."))
            except AppError as error:
                return error_page(request, error)

        return handler


async def protect(request: Request) -> None:
    """Refuse an unsafe request from another origin or without the session's CSRF token."""
    settings = request.app.state.settings
    allowed = {origin_of(settings.public_url), origin_of(str(request.base_url))}
    check_origin(request.headers.get("origin"), request.headers.get("referer"), allowed)
    form = await request.form()
    sent = form.get(FIELD)
    binding = request.cookies.get(COOKIE) or request.cookies.get(PRE_SESSION_COOKIE)
    check_token(
        settings.secret_key.get_secret_value(), binding, sent if isinstance(sent, str) else None
    )


def sign_in_redirect(request: Request) -> Response:
    """To the sign-in page, coming back here afterwards (for a page, not a form post)."""
    target = SIGN_IN
    if request.method == "GET" and request.url.path != SIGN_IN:
        target += "?next=" + quote(request.url.path, safe="/")
    response = RedirectResponse(target, status_code=303, headers=dict(CONSOLE_HEADERS))
    if request.cookies.get(COOKIE):
        clear_cookie(response, request.app.state.settings, COOKIE)
    return response
