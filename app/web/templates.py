"""The one Jinja environment of the HTML pages (console and shared layouts) and rendering."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from app.web import formatting
from app.web.headers import CONSOLE_HEADERS

environment = Environment(
    loader=ChoiceLoader(
        [PackageLoader("app.web", "templates"), PackageLoader("app.console", "templates")]
    ),
    autoescape=select_autoescape(["html", "svg"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    ago=formatting.ago, day=formatting.day, number=formatting.number, signed=formatting.signed
)


def render_page(
    template: str,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page with the console's security headers (no-store, strict CSP, no framing)."""
    html = environment.get_template(template).render(**context)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={**CONSOLE_HEADERS, "Content-Language": "en", **(headers or {})},
    )
