"""The console's home: a therapist's dashboard; other roles are sent to their own pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.models import RESEARCHER
from app.console.rendering import page
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleUser
from app.web.headers import CONSOLE_HEADERS

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


@router.get("")
async def dashboard(request: Request, user: ConsoleUser) -> Response:
    """Attention items first, then clients with their latest scores, then pending intakes."""
    if user.role == RESEARCHER:
        return RedirectResponse("/console/research", 303, headers=dict(CONSOLE_HEADERS))
    return page(request, "console/dashboard.html", user, title="Dashboard")
