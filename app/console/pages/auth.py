"""Sign in and sign out: the API's sign-in use case, with the token kept in a cookie."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts import service, tokens
from app.accounts.models import User
from app.console.forms import service_errors
from app.console.language import keep_locale_at_sign_in, request_locale, request_texts
from app.console.rendering import page
from app.console.routing import ConsoleRoute
from app.console.session import (
    COOKIE,
    PRE_SESSION_COOKIE,
    ConsoleUser,
    clear_cookie,
    set_cookie,
)
from app.db import SessionDep
from app.errors import InvalidInput, TooManyRequests, Unauthorized
from app.ratelimit import Limiter, client_address
from app.web.headers import CONSOLE_HEADERS

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a console path only, never another site."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console"


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str | None = None, out: bool = False) -> Response:
    """The sign-in form (saying so after a sign-out)."""
    return page(
        request,
        "console/sign_in.html",
        None,
        title=request_texts(request)["sign_in"],
        errors={},
        email="",
        next=safe_next(next),
        signed_out=out,
    )


@router.post("/sign-in")
async def sign_in(request: Request, session: SessionDep, limiter: Limiter) -> Response:
    """Check the email and password (limited per address), then start a new session."""
    form = await request.form()
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""))
    settings = request.app.state.settings
    t = request_texts(request)
    try:
        signed_in = await service.sign_in(
            session,
            limiter,
            limits=service.LoginLimits.from_settings(settings),
            address=client_address(request),
            email=email,
            password=password,
            lifetime=timedelta(hours=settings.staff_token_hours),
        )
    except (Unauthorized, TooManyRequests) as error:
        status, headers, message = 401, {}, t["sign_in_failed"]
        if isinstance(error, TooManyRequests):
            minutes = max(1, (error.retry_after + 59) // 60)
            status, message = 429, t["sign_in_wait"].format(minutes=minutes)
            headers = {"Retry-After": str(error.retry_after)}
        # The password is never sent back; the email is kept so only the password is retyped.
        return page(
            request,
            "console/sign_in.html",
            None,
            status,
            headers,
            title=t["sign_in"],
            errors={"email": message},
            email=email,
            next=target,
            signed_out=False,
        )
    keep_locale_at_sign_in(signed_in.user, request)
    response = RedirectResponse(target, status_code=303, headers=dict(CONSOLE_HEADERS))
    age = int(signed_in.lifetime.total_seconds())
    set_cookie(response, settings, COOKIE, signed_in.token, age)
    clear_cookie(response, settings, PRE_SESSION_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: SessionDep, user: ConsoleUser) -> Response:
    """Revoke the session's token and forget the cookie."""
    await tokens.revoke_token(session, request.cookies[COOKIE])
    response = RedirectResponse(
        "/console/sign-in?out=1", status_code=303, headers=dict(CONSOLE_HEADERS)
    )
    clear_cookie(response, request.app.state.settings, COOKIE)
    return response


def password_form(
    request: Request, user: User, errors: dict[str, str], status_code: int = 200
) -> Response:
    """The change-password form (never filled in again)."""
    t = request_texts(request)
    return page(
        request,
        "console/password.html",
        user,
        status_code,
        title=t["password_title"],
        errors=errors,
        labels={
            "current_password": t["label_current_password"],
            "new_password": t["label_new_password"],
        },
        changed=request.query_params.get("changed") == "1",
    )


@router.get("/password")
async def password_page(request: Request, user: ConsoleUser) -> Response:
    """Change your own password."""
    return password_form(request, user, {})


@router.post("/password")
async def change_password(
    request: Request, session: SessionDep, user: ConsoleUser, limiter: Limiter
) -> Response:
    """Check the current password, set the new one; the user's other sessions end.

    The same use case as `POST /v1/auth/password`: a wrong current password counts as a
    failed sign-in.
    """
    form = await request.form()
    try:
        await service.change_password(
            session,
            limiter,
            limits=service.LoginLimits.from_settings(request.app.state.settings),
            address=client_address(request),
            user=user,
            token=request.cookies[COOKIE],
            current=str(form.get("current_password") or ""),
            new=str(form.get("new_password") or ""),
        )
    except InvalidInput as error:
        errors = service_errors(error, locale=request_locale(request))
        return password_form(request, user, errors, 422)
    return RedirectResponse("/console/password?changed=1", 303, headers=dict(CONSOLE_HEADERS))
