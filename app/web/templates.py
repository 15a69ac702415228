"""The one Jinja environment of the HTML pages (console and shared layouts) and rendering."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import (
    ChoiceLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

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


def _locale(context: Context) -> str:
    """The page's locale (a page rendered without one is English)."""
    return str(context.get("locale", "en"))


@pass_context
def _ago(context: Context, moment: datetime | None) -> str:
    t = context.get("t") or {}
    return formatting.ago(
        moment,
        locale=_locale(context),
        never=t.get("never", "never"),
        just_now=t.get("just_now", "just now"),
    )


@pass_context
def _day(context: Context, moment: datetime | None, time_zone: str = "UTC") -> str:
    return formatting.day(moment, _locale(context), time_zone)


@pass_context
def _number(context: Context, value: float | None) -> str:
    return formatting.number(value, _locale(context))


@pass_context
def _signed(context: Context, value: float) -> str:
    return formatting.signed(value, _locale(context))


environment.filters.update(ago=_ago, day=_day, number=_number, signed=_signed)


def render_page(
    template: str,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page with the console's security headers (no-store, strict CSP, no framing)."""
    html = environment.get_template(template).render(**context)
    language = str(context.get("locale", "en"))
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={**CONSOLE_HEADERS, "Content-Language": language, **(headers or {})},
    )
