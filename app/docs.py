"""/docs (Swagger UI) and /redoc, served with no request to anywhere but this server.

FastAPI's own pages load their scripts, styles and fonts from a public CDN, so on a clinic
network without internet they are blank. These load the copies the `fastapi-offline` package
ships (Swagger UI 5 and ReDoc 2, licensed Apache-2.0 and MIT; the package itself is MIT and
pinned in requirements.txt), mounted at /docs-assets. ReDoc gets no Google fonts, and a
Content-Security-Policy keeps both pages from loading anything from elsewhere.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
FAVICON = "/favicon.ico"

#: The pages may load nothing from elsewhere, whatever the bundles would like (ReDoc shows
#: its logo from its own CDN: refused here). Inline script and style: FastAPI's page templates
#: start the UIs inline, and ReDoc styles itself inline.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    """The interactive API documentation."""
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Attune API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=FAVICON,
    )
    page.headers["Content-Security-Policy"] = CSP
    return page


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    """The API reference, one page."""
    page = get_redoc_html(
        openapi_url="/openapi.json",
        title="Attune API",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=FAVICON,
        with_google_fonts=False,
    )
    page.headers["Content-Security-Policy"] = CSP
    return page


def install_docs(app: FastAPI) -> None:
    """Serve the two pages and their assets (create the app with docs_url=None, redoc_url=None)."""
    directory = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(directory)), name="docs-assets")
    app.include_router(router)
