"""/v1/auth (staff login and logout) and /v1/users (an admin manages their organization)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request, Response, status

from app.accounts import resets, service, support, tokens
from app.accounts.dependencies import CurrentAdmin, CurrentUser
from app.accounts.models import User
from app.accounts.passwords import MAX_PASSWORD_LENGTH
from app.accounts.schemas import (
    Accepted,
    MeUpdate,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.config import Settings
from app.db import SessionDep, utcnow
from app.i18n import choose_locale
from app.mail.messages import LOCALES
from app.problems import problems
from app.questionnaires.support import OrganizationSupport
from app.ratelimit import Limiter, client_address
from app.security import StaffBearer

router = APIRouter(prefix="/v1", tags=["accounts"])


async def organization_user(
    session: SessionDep,
    admin: CurrentAdmin,
    user_id: Annotated[uuid.UUID, Path(description="The user's id.")],
) -> User:
    """A user of the admin's organization, or 404 (after 403 for a non-admin)."""
    return await service.organization_user(session, admin.organization_id, user_id)


OrganizationUser = Annotated[User, Depends(organization_user)]


class LoginForm:
    """The OAuth2 password form (RFC 6749 §4.3); both fields are needed and non-empty."""

    def __init__(
        self,
        username: Annotated[
            str, Form(min_length=1, max_length=320, description="The staff member's email.")
        ],
        password: Annotated[str, Form(min_length=1, max_length=MAX_PASSWORD_LENGTH)],
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
    ) -> None:
        self.username = username
        self.password = password


@router.post("/auth/token", response_model=TokenRead, responses=problems(401, 422, 429))
async def login(
    form: Annotated[LoginForm, Depends()],
    request: Request,
    response: Response,
    session: SessionDep,
    limiter: Limiter,
) -> TokenRead:
    """Log in with email (as `username`) and password; returns a bearer token shown once."""
    settings: Settings = request.app.state.settings
    signed_in = await service.sign_in(
        session,
        limiter,
        limits=service.LoginLimits.from_settings(settings),
        address=client_address(request),
        email=form.username,
        password=form.password,
        lifetime=timedelta(hours=settings.staff_token_hours),
    )
    response.headers["Cache-Control"] = "no-store"
    return TokenRead(
        access_token=signed_in.token, expires_in=int(signed_in.lifetime.total_seconds())
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problems(401))
async def logout(session: SessionDep, user: CurrentUser, token: StaffBearer) -> None:
    """Revoke the token of this request; other sessions of the user stay logged in."""
    await tokens.revoke_token(session, token)


@router.post(
    "/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 422, 429),
)
async def change_password(
    body: PasswordChange,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    token: StaffBearer,
    limiter: Limiter,
) -> None:
    """Change your password (the current one is needed); your other sessions are logged out.

    A wrong current password is a 422 and counts as a failed login (the same limits).
    """
    await service.change_password(
        session,
        limiter,
        limits=service.LoginLimits.from_settings(request.app.state.settings),
        address=client_address(request),
        user=user,
        token=token,
        current=body.current_password,
        new=body.new_password,
    )


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problems(422, 429),
)
async def request_password_reset(
    body: PasswordResetRequest, request: Request, session: SessionDep, limiter: Limiter
) -> Accepted:
    """Forgot your password: email a link to choose a new one (once, ATTUNE_PASSWORD_RESET_MINUTES).

    The answer is the same whether or not the email has an account. With accounts in
    several organizations, each gets its own email naming its clinic. Requests are limited
    per address and per email (ATTUNE_PASSWORD_RESET_*_LIMIT), 429 beyond.
    """
    await resets.request_reset(
        session,
        limiter,
        request.app.state.settings,
        address=client_address(request),
        email=body.email,
        now=clock(request),
        # The email in the language the app asks in (Accept-Language), else English.
        locale=choose_locale(None, None, request.headers.get("accept-language"), LOCALES),
    )
    return Accepted(detail=resets.REQUESTED)


@router.post(
    "/auth/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(422, 429),
)
async def confirm_password_reset(
    body: PasswordResetConfirm, request: Request, session: SessionDep, limiter: Limiter
) -> None:
    """Choose a new password with an emailed link's token; every session is logged out.

    A used, expired or altered token is a 422 naming `#/token` (ask for a new link).
    """
    try:
        await resets.confirm_reset(session, body.token, body.new_password, clock(request))
    except resets.InvalidResetLink as error:
        settings = request.app.state.settings
        await resets.count_unknown_link(limiter, settings, client_address(request), error)
        raise


def clock(request: Request) -> datetime:
    """Now, unless a test gave the app its own clock (`app.state.clock`)."""
    now: datetime = getattr(request.app.state, "clock", utcnow)()
    return now


@router.get("/auth/me", response_model=UserRead, responses=problems(401))
async def get_me(user: CurrentUser) -> UserRead:
    """The staff member behind the bearer token."""
    return UserRead.model_validate(user)


@router.patch("/auth/me", response_model=UserRead, responses=problems(401, 422))
async def update_me(body: MeUpdate, session: SessionDep, user: CurrentUser) -> UserRead:
    """Change your own preferences: `notify_on_flag` opts in to (or out of) flag emails,
    `locale` is the language of the emails sent to you (en, es; 422 naming it otherwise)."""
    await service.update_preferences(
        session, user, notify_on_flag=body.notify_on_flag, locale=body.locale
    )
    return UserRead.model_validate(user)


@router.get("/users", response_model=list[UserRead], responses=problems(401, 403))
async def list_users(session: SessionDep, admin: CurrentAdmin) -> list[UserRead]:
    """Every staff member of your organization, by email (admins only)."""
    users = await service.list_users(session, admin.organization_id)
    return [UserRead.model_validate(user) for user in users]


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=problems(401, 403, 409, 422),
)
async def create_user(body: UserCreate, session: SessionDep, admin: CurrentAdmin) -> UserRead:
    """Add an admin, therapist or researcher to your organization (admins only)."""
    user = await service.create_user(
        session, admin.organization_id, body.email, body.password, body.role
    )
    return UserRead.model_validate(user)


@router.patch(
    "/users/{user_id}",
    response_model=UserRead,
    responses=problems(401, 403, 404, 409, 422),
)
async def update_user(
    body: UserUpdate, session: SessionDep, admin: CurrentAdmin, user: OrganizationUser
) -> UserRead:
    """Change a user's role or deactivate them (logs them out); 409 for the last admin."""
    await service.update_user(session, admin, user, role=body.role, is_active=body.is_active)
    return UserRead.model_validate(user)


@router.get(
    "/organization/support", response_model=OrganizationSupport, responses=problems(401, 403)
)
async def get_organization_support(session: SessionDep, admin: CurrentAdmin) -> OrganizationSupport:
    """The organization's country and own crisis lines, as its clients' results use them."""
    found = await support.organization_support(session, admin.organization_id)
    return found or OrganizationSupport()


@router.put(
    "/organization/support", response_model=OrganizationSupport, responses=problems(401, 403, 422)
)
async def put_organization_support(
    body: OrganizationSupport, session: SessionDep, admin: CurrentAdmin
) -> OrganizationSupport:
    """Set the country (ISO 3166, e.g. `MX`) whose lines clients see, and the organization's
    own lines (at most 10), shown first on every client's result. A client whose language tag
    names a region (`es-AR`) gets that region's lines after the organization's own."""
    return await support.set_organization_support(session, admin.organization_id, body)
