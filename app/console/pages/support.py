"""An admin's support lines page: the organization's country and its own crisis lines.

Every change writes the whole setting through `set_organization_support`, the use case of
`PUT /v1/organization/support`, validated by the same `OrganizationSupport` model: a line
the API would refuse is refused here, by field, and nothing changes. The form carries a
fingerprint of the lines it was shown, and the organization's row is locked while they are
rewritten, so an admin never edits or removes a line someone else changed meanwhile.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from app.accounts.models import Organization, User
from app.accounts.support import set_organization_support
from app.console.forms import read_form, validate
from app.console.language import request_locale, request_texts
from app.console.rendering import page, redirect
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleAdmin
from app.db import SessionDep
from app.errors import Conflict
from app.questionnaires.support import OrganizationLine, OrganizationSupport

router = APIRouter(prefix="/console/admin", route_class=ConsoleRoute, include_in_schema=False)
LINE_FIELDS = ("name", "description", "phone", "url")
HERE = "/console/admin/support"


def fingerprint(organization: Organization) -> str:
    """What the form was shown: a digest of the stored lines (not a secret)."""
    shown = json.dumps(organization.support_lines or [], sort_keys=True)
    return hashlib.sha256(shown.encode()).hexdigest()[:24]


async def _locked(session: SessionDep, admin: User) -> Organization:
    """The admin's organization, its row locked until the request commits (PostgreSQL)."""
    statement = (
        select(Organization).where(Organization.id == admin.organization_id).with_for_update()
    )
    return (await session.execute(statement)).scalar_one()


def _labels(t: Mapping[str, str]) -> dict[str, str]:
    names = ("country", "lines", *LINE_FIELDS)
    return {name: t[f"support_field_{name}"] for name in names}


def _messages(request: Request, errors: dict[str, str]) -> dict[str, str]:
    """Each field's refusal in the page's language."""
    t = request_texts(request)
    return {name: t.get(f"support_error_{name}", message) for name, message in errors.items()}


async def support_page(
    request: Request,
    session: SessionDep,
    admin: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    editing: int | None = None,
    country_value: str | None = None,
) -> Response:
    """The country, the lines, and the form to add one (or to edit the one chosen)."""
    t = request_texts(request)
    organization = await session.get_one(Organization, admin.organization_id)
    lines = organization.support_lines or []
    if editing is not None and values is None:
        values = dict(lines[editing])
    flags = {"saved": "support_saved", "removed": "support_removed", "added": "support_added"}
    notice = next((t[k] for f, k in flags.items() if request.query_params.get(f)), None)
    return page(
        request,
        "console/admin/support.html",
        admin,
        422 if errors else 200,
        title=t["support_title"],
        country=organization.support_country,
        country_value=(organization.support_country or "")
        if country_value is None
        else country_value,
        lines=lines,
        editing=editing,
        values=values or {},
        errors=errors or {},
        labels=_labels(t),
        fingerprint=fingerprint(organization),
        notice=notice,
    )


def _line_number(request: Request, raw: Any, organization: Organization, sent: Any) -> int:
    """The line the form names, if the lines are still those the form was shown."""
    changed = request_texts(request)["support_changed"]
    lines = organization.support_lines or []
    if sent != fingerprint(organization):
        raise Conflict(changed)
    try:
        number = int(str(raw))
    except ValueError:
        number = -1
    if not 0 <= number < len(lines):
        raise Conflict(changed)
    return number


@router.get("/support")
async def show_support(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """The organization's support settings; `?edit=N` opens line N's form."""
    editing = None
    raw = request.query_params.get("edit")
    if raw is not None:
        organization = await session.get_one(Organization, admin.organization_id)
        lines = organization.support_lines or []
        editing = int(raw) if raw.isdigit() and int(raw) < len(lines) else None
    return await support_page(request, session, admin, editing=editing)


@router.post("/support/country")
async def set_country(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """Set (or clear) the country whose shipped lines the organization's clients see."""
    data = await read_form(request)
    typed = str(data.get("country", "")).strip()
    organization = await _locked(session, admin)
    wanted = {"country": typed.upper() or None, "lines": organization.support_lines or []}
    body, errors = validate(OrganizationSupport, wanted, request_locale(request))
    if body is None:
        return await support_page(
            request, session, admin, errors=_messages(request, errors), country_value=typed
        )
    await set_organization_support(session, admin.organization_id, body)
    return redirect(HERE + "?saved=1")


@router.post("/support/lines")
async def save_line(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """Add a line, or replace line `line` (the form that was shown says which)."""
    data = await read_form(request)
    values = {name: str(data.get(name, "")).strip() for name in LINE_FIELDS}
    organization = await _locked(session, admin)
    editing = None
    if data.get("line", "") != "":
        editing = _line_number(request, data.get("line"), organization, data.get("fingerprint"))
    line, errors = validate(OrganizationLine, values, request_locale(request))
    lines = list(organization.support_lines or [])
    if line is not None:
        shown = line.model_dump(mode="json")
        if editing is None:
            lines.append(shown)
        else:
            lines[editing] = shown
        wanted = {"country": organization.support_country, "lines": lines}
        body, errors = validate(OrganizationSupport, wanted, request_locale(request))
        if body is not None:
            await set_organization_support(session, admin.organization_id, body)
            return redirect(HERE + ("?added=1" if editing is None else "?saved=1"))
    return await support_page(
        request, session, admin, values=values, errors=_messages(request, errors), editing=editing
    )


@router.post("/support/lines/remove")
async def remove_line(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """Remove line `line`, if the lines are still those the page showed."""
    data = await read_form(request)
    organization = await _locked(session, admin)
    number = _line_number(request, data.get("line"), organization, data.get("fingerprint"))
    lines = [line for index, line in enumerate(organization.support_lines or []) if index != number]
    body = OrganizationSupport.model_validate(
        {"country": organization.support_country, "lines": lines}
    )
    await set_organization_support(session, admin.organization_id, body)
    return redirect(HERE + "?removed=1")
