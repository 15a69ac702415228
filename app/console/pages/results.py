"""Results of a client: clinician summaries, rule traces, feedback, charts; the print view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.assessments.schemas import TrendChange, TrendPoint
from app.audit.service import record
from app.clinic import results
from app.clinic.models import Client
from app.clinic.schemas import ClientResult
from app.console.charts import chart_svg
from app.console.language import request_locale
from app.console.lookups import ConsoleClient
from app.console.rendering import page
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleClinician
from app.console.texts import STRINGS, texts
from app.db import SessionDep
from app.questionnaires.dependencies import RegistryDep
from app.questionnaires.registry import Registry
from app.questionnaires.schemas import localized

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
RESULTS_SHOWN = 20


@dataclass(frozen=True)
class Chart:
    """One scale's chart and the rows of the table beside it."""

    id: str
    questionnaire: str
    title: str
    svg: Markup
    rows: list[tuple[TrendPoint, TrendChange | None]]
    note: str | None
    #: How many of the results have a score (one: the chart says it is a single point).
    scored: int


async def results_context(
    session: AsyncSession, registry: Registry, user: User, client: Client, locale: str = "en"
) -> dict[str, Any]:
    """What a client's pages show of their results: the latest ones, and a chart per scale.

    Everything is in the reader's language except the feedback, which is shown as the client
    saw it: in the language the intake form recorded (`seen`, by result id, when it differs).
    """
    found = await results.client_results(
        session, registry, client, [locale], limit=RESULTS_SHOWN, cursor=None
    )
    seen = await results.feedback_as_seen(session, registry, client, found.items)
    charts = await _charts(session, registry, client, found.items, locale)
    if found.items:  # results were shown: audited like the API's reads
        await record(
            session,
            "result.read",
            organization_id=user.organization_id,
            actor_user_id=user.id,
            target=str(client.id),
            details={"count": len(found.items)},
        )
    return {
        "results": found.items,
        "more_results": found.next_cursor is not None,
        "charts": charts,
        "titles": questionnaire_titles(registry, locale),
        "seen": seen,
        "texts_of": STRINGS,
    }


def questionnaire_titles(registry: Registry, locale: str = "en") -> dict[str, str]:
    """Each questionnaire's title (its latest version's), by id."""
    return {d.id: localized(d.title, locale, d.default_locale) for d in registry.latest()}


async def _charts(
    session: AsyncSession,
    registry: Registry,
    client: Client,
    items: list[ClientResult],
    locale: str,
) -> list[Chart]:
    charts = []
    for questionnaire_id in sorted({item.questionnaire_id for item in items}):
        definition = registry.get(questionnaire_id)
        title = localized(definition.title, locale, definition.default_locale)
        for scale in definition.scales:
            trend = await results.client_trend(session, client, definition, scale.id, locale)
            if not trend.points:
                continue
            into = {c.to_assessment_id: c for c in trend.changes}
            chart_id = f"chart-{questionnaire_id}-{scale.id}"
            notes = {c.change.note for c in trend.changes if c.change.note}
            charts.append(
                Chart(
                    id=chart_id,
                    questionnaire=title,
                    title=trend.title,
                    svg=chart_svg(trend, scale, chart_id, locale, texts(locale)),
                    rows=[(p, into.get(p.assessment_id)) for p in trend.points],
                    note=next(iter(notes)) if notes else None,
                    scored=sum(1 for p in trend.points if p.score is not None),
                )
            )
    return charts


@router.get("/clients/{client_id}/print")
async def print_view(
    request: Request,
    client: ConsoleClient,
    session: SessionDep,
    registry: RegistryDep,
    user: ConsoleClinician,
) -> Response:
    """A clean report of one client for the clinical record (print, or save as PDF)."""
    locale = request_locale(request)
    context = await results_context(session, registry, user, client, locale)
    return page(
        request,
        "console/clients/print.html",
        user,
        title=texts(locale)["report_title"].format(label=client.label),
        client=client,
        **context,
    )
