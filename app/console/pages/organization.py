"""An admin's organization pages: the webhook (set, remove, recent deliveries), the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.models import Organization, User
from app.audit.log import audit_page
from app.clinic import webhooks
from app.clinic.schemas import WebhookUpdate
from app.console.forms import read_form, service_errors, validate
from app.console.language import request_locale, request_texts
from app.console.rendering import page
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleAdmin
from app.db import SessionDep
from app.errors import InvalidInput
from app.web.headers import CONSOLE_HEADERS

router = APIRouter(prefix="/console/admin", route_class=ConsoleRoute, include_in_schema=False)
DELIVERIES_SHOWN = 20


async def webhook_page(
    request: Request,
    session: SessionDep,
    admin: User,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    secret: str | None = None,
) -> Response:
    """The webhook, its recent deliveries and the form to set it."""
    organization = await session.get_one(Organization, admin.organization_id)
    deliveries = await webhooks.recent_deliveries(session, admin.organization_id, DELIVERIES_SHOWN)
    t = request_texts(request)
    return page(
        request,
        "console/admin/webhook.html",
        admin,
        422 if errors else 200,
        title=t["nav_webhook"],
        url=organization.webhook_url,
        deliveries=deliveries,
        values=values or {},
        errors=errors or {},
        labels={"url": t["label_url"]},
        secret=secret,
        removed=request.query_params.get("removed") == "1",
    )


@router.get("/webhook")
async def show_webhook(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """The organization's webhook."""
    return await webhook_page(request, session, admin)


@router.post("/webhook")
async def set_webhook(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """Set the webhook; its new signing secret is shown this once."""
    data = await read_form(request)
    locale = request_locale(request)
    body, errors = validate(WebhookUpdate, {"url": data.get("url", "")}, locale)
    if body is not None:
        try:
            secret = await webhooks.set_webhook(
                session, admin.organization_id, body.url, request.app.state.settings
            )
        except InvalidInput as error:
            errors = service_errors(error, locale=locale)
        else:
            return await webhook_page(request, session, admin, secret=secret)
    return await webhook_page(request, session, admin, {"url": data.get("url", "")}, errors)


@router.post("/webhook/remove")
async def remove_webhook(session: SessionDep, admin: ConsoleAdmin) -> Response:
    """Remove the webhook; events not yet delivered are marked failed."""
    await webhooks.clear_webhook(session, admin.organization_id)
    return RedirectResponse("/console/admin/webhook?removed=1", 303, headers=dict(CONSOLE_HEADERS))


@router.get("/audit")
async def audit_log(
    request: Request,
    session: SessionDep,
    admin: ConsoleAdmin,
    action: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The organization's audit log, newest first, filtered by action."""
    found = await audit_page(
        session, admin.organization_id, limit=50, cursor=cursor, action=action or None
    )
    return page(
        request,
        "console/admin/audit.html",
        admin,
        title=request_texts(request)["nav_audit"],
        events=found,
        action=action or "",
    )
