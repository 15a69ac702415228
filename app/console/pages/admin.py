"""An admin's pages: the organization's users (add, change role, deactivate)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts import service
from app.accounts.models import ROLES, User
from app.accounts.schemas import UserCreate, UserUpdate
from app.console import submissions
from app.console.forms import read_form, service_errors, validate
from app.console.language import request_locale, request_texts
from app.console.rendering import page, redirect
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleAdmin
from app.db import SessionDep
from app.errors import Conflict, InvalidInput

router = APIRouter(prefix="/console/admin", route_class=ConsoleRoute, include_in_schema=False)


async def users_page(
    request: Request,
    session: SessionDep,
    admin: User,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    """The users of the organization and the form to add one."""
    users = await service.list_users(session, admin.organization_id)
    t = request_texts(request)
    return page(
        request,
        "console/admin/users.html",
        admin,
        422 if errors else 200,
        title=t["nav_users"],
        users=users,
        roles=ROLES,
        role_names={role: t[f"role_{role}"] for role in ROLES},
        role_help={role: t[f"help_{role}"] for role in ROLES},
        values=values or {"role": "therapist"},
        errors=errors or {},
        labels={
            "email": t["label_email"],
            "password": t["label_password"],
            "role": t["label_role"],
        },
        nonce=submissions.new_nonce(),
        notice=notice,
    )


@router.get("/users")
async def list_users(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """The organization's staff."""
    t = request_texts(request)
    notice = {"added": t["user_added"], "saved": t["user_saved"]}
    chosen = next((text for key, text in notice.items() if key in request.query_params), None)
    return await users_page(request, session, admin, notice=chosen)


@router.post("/users")
async def add_user(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """Add a staff member once (the password is never shown back)."""
    data = await read_form(request)
    kept = {"email": data.get("email", ""), "role": data.get("role", "")}
    locale = request_locale(request)
    body, errors = validate(UserCreate, {**kept, "password": data.get("password", "")}, locale)
    if body is None:
        return await users_page(request, session, admin, kept, errors)
    nonce = str(data.get(submissions.FIELD, ""))
    try:
        await service.create_user(
            session, admin.organization_id, body.email, body.password, body.role
        )
    except (Conflict, InvalidInput) as error:
        # The email is taken: by this very form's first submit (a double click), or not.
        if await submissions.earlier(session, admin, nonce):
            return redirect("/console/admin/users?added=1")
        errors = service_errors(error, locale=locale)
        return await users_page(request, session, admin, kept, errors)
    await submissions.claim(session, admin, nonce)
    await submissions.complete(session, nonce, "/console/admin/users")
    return redirect("/console/admin/users?added=1")


@router.post("/users/{user_id}")
async def change_user(
    user_id: uuid.UUID, request: Request, session: SessionDep, admin: ConsoleAdmin
) -> Response:
    """Change a user's role or deactivate them (never the last active admin: a 409 page)."""
    user = await service.organization_user(session, admin.organization_id, user_id)
    data = await read_form(request)
    body, errors = validate(
        UserUpdate,
        {"role": data.get("role"), "is_active": data.get("is_active") == "yes"},
        request_locale(request),
    )
    if body is None:
        return await users_page(request, session, admin, errors=errors)
    await service.update_user(session, admin, user, role=body.role, is_active=body.is_active)
    return redirect("/console/admin/users?saved=1")
