"""The console's home: a therapist's dashboard; researchers are sent to their own pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.models import RESEARCHER
from app.audit.service import record
from app.clinic import overview, results
from app.console.language import request_locale, request_texts
from app.console.lookups import ConsoleResult
from app.console.pages.results import questionnaire_titles
from app.console.rendering import page, redirect
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleClinician, ConsoleUser
from app.db import SessionDep
from app.questionnaires.dependencies import RegistryDep

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
ATTENTION_SHOWN = 50


@router.get("")
async def dashboard(
    request: Request, session: SessionDep, registry: RegistryDep, user: ConsoleUser
) -> Response:
    """Attention items first, then clients with their latest scores, then pending intakes."""
    if user.role == RESEARCHER:
        return redirect("/console/research")
    locale = request_locale(request)
    attention = await results.attention(
        session, registry, user, [locale], limit=ATTENTION_SHOWN, cursor=None
    )
    clients = await overview.overview(session, registry, user, locale)
    shown = sorted(
        {str(i.client_id) for i in attention.items}
        | {str(c.client.id) for c in clients if c.latest}
    )
    if shown:  # results were shown: the read is audited like the API's
        await record(
            session,
            "result.read",
            organization_id=user.organization_id,
            actor_user_id=user.id,
            target="dashboard",
            details={"count": len(shown), "client_ids": shown},
        )
    return page(
        request,
        "console/dashboard.html",
        user,
        title=request_texts(request)["nav_dashboard"],
        attention=attention.items,
        more_attention=attention.next_cursor is not None,
        clients=clients,
        acknowledged=request.query_params.get("acknowledged") == "1",
        titles=questionnaire_titles(registry, locale),
    )


@router.post("/results/{result_id}/acknowledge")
async def acknowledge(
    result: ConsoleResult, session: SessionDep, user: ConsoleClinician, request: Request
) -> Response:
    """Mark a flagged result as seen; back to where the button was."""
    await results.acknowledge(session, user, result)
    form = await request.form()
    back = str(form.get("back") or "")
    return redirect(back if back.startswith("/console/clients/") else "/console?acknowledged=1")


@router.get("/results/{result_id}")
async def show_result(result: ConsoleResult, session: SessionDep) -> Response:
    """A result on its client's page (where the attention email's link leads)."""
    client_id = await results.client_of(session, result)
    return redirect(f"/console/clients/{client_id}#result-{result.id}")
