"""The console session: a cookie holding an opaque staff token (the API's token model).

The token is random, stored only hashed, expires, and is revoked at sign-out (and when an
admin deactivates the user). The cookie is HttpOnly, SameSite=Lax, Secure whenever the
public URL is https, and limited to /console. Every sign-in issues a new token, so a token
planted before sign-in (fixation) is never the one that is signed in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from app.accounts import tokens
from app.accounts.models import ADMIN, RESEARCHER, THERAPIST, User
from app.config import Settings
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized

COOKIE = "attune_console"
#: A random value that binds the sign-in form's CSRF token before there is a session.
PRE_SESSION_COOKIE = "attune_console_pre"
PATH = "/console"


class SignInRequired(Unauthorized):
    """No live session: the console sends the browser to the sign-in page."""


def secure_cookies(settings: Settings) -> bool:
    """Whether cookies carry `Secure`: whenever the service is reached over https."""
    return settings.public_url.lower().startswith("https://")


def set_cookie(response: Response, settings: Settings, name: str, value: str, age: int) -> None:
    """Set one console cookie with the console's attributes."""
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=PATH,
        secure=secure_cookies(settings),
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    """Remove a console cookie."""
    response.delete_cookie(
        name, path=PATH, secure=secure_cookies(settings), httponly=True, samesite="lax"
    )


def session_token(request: Request) -> str | None:
    """The staff token the browser sent, if any."""
    return request.cookies.get(COOKIE) or None


async def console_user(request: Request, session: SessionDep) -> User:
    """The active staff member of the session, or SignInRequired."""
    token = session_token(request)
    if token is None:
        raise SignInRequired("Please sign in.")
    try:
        return await tokens.authenticate(session, token)
    except Unauthorized as error:
        raise SignInRequired("Your session has ended. Please sign in again.") from error


ConsoleUser = Annotated[User, Depends(console_user)]


def console_role(*roles: str) -> object:
    """A dependency letting only these roles through (a page saying so for the others)."""

    async def check(user: ConsoleUser) -> User:
        if user.role not in roles:
            raise Forbidden("Your role does not give access to this page.")
        return user

    return Depends(check)


ConsoleClinician = Annotated[User, console_role(THERAPIST, ADMIN)]
ConsoleAdmin = Annotated[User, console_role(ADMIN)]
ConsoleResearcher = Annotated[User, console_role(RESEARCHER)]
