"""The "forgot password" pages a reset email links to: /reset and /reset/{token} (HTML).

`GET /reset` asks for the email, `POST /reset` sends the link (the same answer whether or
not the email has an account). `GET /reset/{token}` shows a new-password form while the
link works, and otherwise a page that says it no longer works and asks for a new one;
`POST /reset/{token}` saves the password. The pages use the intake form's look and its
security headers (no caching, no Referer: the token is in the address). The use cases are
in app/accounts/resets.py, for the staff console to call as well.
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
_SITE = {"site": "Attune", "title": "Choose a new password"}

ASK = "Enter the email you sign in with. We will send a link to choose a new password."
GONE = (
    "This link no longer works: it was used already, it expired, or it is not complete. "
    "You can ask for a new one below."
)


def _page(
    title: str,
    lines: list[str],
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    values = {"form": None, "error": None, "email": "", "action": ""} | context
    html = _templates.get_template("reset.html").render(
        locale="en",
        t=_SITE,
        title=title,
        lines=lines,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        **values,
    )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={**SECURITY_HEADERS, "Content-Language": "en", **(headers or {})},
    )


def _problem_page(error: AppError) -> HTMLResponse:
    retry = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry else {}
    if error.status == 429:
        minutes = max(1, ((retry or 60) + 59) // 60)
        lines = [
            f"There were many requests from your connection. Try again in {minutes} minute(s)."
        ]
        return _page("Please wait a little", lines, 429, headers)
    if error.status == 503:
        return _page("This page is briefly unavailable", ["Try again in a minute."], 503, headers)
    return _page("Something went wrong", ["Go back and try again."], error.status, headers)


@router.get("")
async def ask_for_link() -> HTMLResponse:
    """The form asking for a reset link."""
    return _page("Forgot your password?", [ASK], form="request")


@router.post("")
async def send_link(request: Request, session: SessionDep, limiter: Limiter) -> HTMLResponse:
    """Send the link (the same page whether or not the email has an account)."""
    form = await request.form()
    raw = form.get("email")
    email = raw.strip() if isinstance(raw, str) else ""
    if len(email) > 320 or not re.fullmatch(EMAIL_PATTERN, email):
        error = "Enter an email address, like name@clinic.example."
        return _page("Forgot your password?", [ASK], 422, form="request", error=error, email=email)
    try:
        await resets.request_reset(
            session,
            limiter,
            request.app.state.settings,
            address=client_address(request),
            email=email,
            now=clock(request),
        )
    except AppError as failure:
        await session.rollback()
        return _problem_page(failure)
    return _page("Check your email", [resets.REQUESTED])


@router.get("/{token}")
async def show_form(
    token: Token, request: Request, session: SessionDep, limiter: Limiter
) -> HTMLResponse:
    """The new-password form while the link works; otherwise a page offering a new link."""
    try:
        await resets.open_reset(session, token, clock(request))
    except resets.InvalidResetLink as error:
        return await _gone(request, session, limiter, error)
    return _page("Choose a new password", [], form="password", action=f"/reset/{token}")


@router.post("/{token}")
async def save_password(
    token: Token, request: Request, session: SessionDep, limiter: Limiter
) -> HTMLResponse:
    """Save the new password; every session of the account is logged out."""
    form = await request.form()
    raw = form.get("new_password")
    password = raw if isinstance(raw, str) else ""
    try:
        await resets.confirm_reset(session, token, password, clock(request))
    except resets.InvalidResetLink as error:
        return await _gone(request, session, limiter, error)
    except InvalidInput as error:
        await session.rollback()
        errors = error.extensions.get("errors") or [{"detail": error.detail}]
        detail = str(errors[0]["detail"])
        action = f"/reset/{token}"
        return _page("Choose a new password", [], 422, form="password", action=action, error=detail)
    lines = ["You can sign in with it now. You were signed out everywhere else."]
    return _page("Your new password is saved", lines)


async def _gone(
    request: Request, session: SessionDep, limiter: Limiter, error: resets.InvalidResetLink
) -> HTMLResponse:
    await session.rollback()
    settings = request.app.state.settings
    try:
        await resets.count_unknown_link(limiter, settings, client_address(request), error)
    except AppError as failure:
        return _problem_page(failure)
    status_code = 410 if error.known else 404
    return _page("This link no longer works", [GONE], status_code, form="request")
