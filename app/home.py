"""GET / and /favicon.ico: a person who opens the server's address learns where to go.

A small page in one place: the staff console will take `/` over (replace this router).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Attune</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Attune</h1>
<p>Nervous-system self-checks as a REST service. This address serves the API under
<code>/v1</code>.</p>
<ul>
<li><a href="/docs">Interactive API documentation</a> (Swagger UI)</li>
<li><a href="/redoc">API reference</a> (ReDoc)</li>
<li><a href="/openapi.json">OpenAPI document</a>, to generate a client</li>
<li><a href="/healthz">Health</a></li>
</ul></body></html>
"""

ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<circle cx="16" cy="16" r="15" fill="#2f6f5e"/>'
    '<text x="16" y="22" font-size="18" text-anchor="middle" fill="#fff" '
    'font-family="sans-serif">A</text></svg>'
)


@router.get("/favicon.ico")
async def favicon() -> Response:
    """A small icon, so browsers stop asking (and logs stop showing 404s)."""
    return Response(ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
