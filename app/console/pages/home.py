"""`/`: what this service is, with links to the staff console and the API documentation;
the layout's language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.console.language import keep_locale_on_switch, remember_locale, request_texts
from app.console.pages.auth import safe_next
from app.console.rendering import page
from app.console.routing import ConsoleRoute
from app.console.texts import LOCALES
from app.db import SessionDep
from app.web.headers import CONSOLE_HEADERS

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    """A short page about the service."""
    return page(request, "console/home.html", None, title=request_texts(request)["home_title"])


@router.post("/console/language")
async def choose_language(request: Request, session: SessionDep) -> Response:
    """Keep the language the switch chose (an unknown one is ignored) and go back.

    A form rather than a script, so it works everywhere; signed in or not, since the sign-in
    page has the switch too. The page it came from is a console path or the home page.
    Signed in, the account keeps it too, for the emails sent to them.
    """
    form = await request.form()
    chosen, back = form.get("lang"), str(form.get("next") or "")
    target = "/" if back == "/" else safe_next(back)
    response = RedirectResponse(target, status_code=303, headers=dict(CONSOLE_HEADERS))
    if isinstance(chosen, str) and chosen in LOCALES:
        remember_locale(response, request, chosen)
        await keep_locale_on_switch(session, request, chosen)
    return response
