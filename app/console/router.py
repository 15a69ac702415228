"""The console's routes, gathered for the application; its static files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from app.console.pages import (
    admin,
    auth,
    clients,
    dashboard,
    home,
    organization,
    research,
    results,
    schedules,
    studies,
    support,
)
from app.errors import NotFound

STATIC = Path(__file__).parent / "static"
FILES = {"console.css": "text/css", "console.js": "text/javascript"}

router = APIRouter(include_in_schema=False)


@router.get("/console/static/{name}")
async def static_file(name: Annotated[str, PathParam(max_length=40)]) -> FileResponse:
    """The console's stylesheet and script (CSP allows no inline ones)."""
    if name not in FILES:
        raise NotFound("No such file.")
    return FileResponse(
        STATIC / name, media_type=FILES[name], headers={"Cache-Control": "max-age=3600"}
    )


for area in (home, auth, dashboard, clients, results, admin, organization, research):
    router.include_router(area.router)
for area in (schedules, support, studies):  # console-pages
    router.include_router(area.router)
