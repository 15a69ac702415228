"""`/`: what this service is, with links to the staff console and the API documentation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.console.rendering import page
from app.console.routing import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    """A short page about the service."""
    return page(request, "console/home.html", None, title="Attune")
