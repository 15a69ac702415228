"""A researcher's pages: studies, the export form (downloads the file), codebook, aggregates.

The same services as /v1/research: the export streams from its own connection and is
audited when it ends; codebook and aggregate reads are audited; small cells are suppressed.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.accounts.models import User
from app.console.forms import read_form, service_errors, validate
from app.console.language import request_locale, request_texts
from app.console.rendering import page
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleResearcher
from app.console.texts import texts
from app.db import SessionDep
from app.errors import Conflict, InvalidInput, NotFound
from app.questionnaires.dependencies import RegistryDep
from app.questionnaires.model import SLUG, Definition
from app.questionnaires.registry import Registry
from app.questionnaires.schemas import localized
from app.research import requests, studies
from app.research.codebook import codebook_csv
from app.research.export import MEDIA_TYPES, audited_export
from app.research.population import TooFewPeople
from app.research.router import ExportResponse, ExportSlot
from app.research.schemas import StudyCreate
from app.web.headers import CONSOLE_HEADERS

router = APIRouter(prefix="/console/research", route_class=ConsoleRoute, include_in_schema=False)
#: The forms' fields, each with its label's key in app/console/texts.py.
FIELDS = ("questionnaire", "version", "start", "end", "format", "study", "name")


#: The API's filter parameters as this form's fields.
FILTER_FIELDS = {"from": "start", "to": "end", "period": "period", "study": "study"}


class ResearchQuery(BaseModel):
    """The export, codebook and aggregates forms (GET, so a download is a plain link)."""

    model_config = ConfigDict(str_strip_whitespace=True)
    questionnaire: str = Field(pattern=SLUG)
    version: str | None = Field(None, max_length=32)
    #: A year (`2024`), or a designated study's month (`2024-03`) or ISO week (`2024-W05`).
    start: str | None = Field(None, max_length=40)
    end: str | None = Field(None, max_length=40)
    format: Literal["csv", "jsonl"] = "csv"
    study: str | None = Field(None, max_length=100)
    items: bool = False
    period: Literal["year", "month", "week"] = "year"


async def research_page(
    request: Request,
    session: SessionDep,
    registry: Registry,
    user: User,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The research home: studies, and the forms."""
    found = await studies.list_studies(session, user.organization_id)
    locale = request_locale(request)
    t = request_texts(request)
    return page(
        request,
        "console/research/home.html",
        user,
        422 if errors else 200,
        title=t["nav_research"],
        studies=found,
        questionnaires=[
            (d.id, localized(d.title, locale, d.default_locale)) for d in registry.latest()
        ],
        values=values or {"format": "csv", "period": "year"},
        errors=errors or {},
        labels={name: t[f"label_{name}"] for name in FIELDS},
        **extra,
    )


@router.get("")
async def home(
    request: Request, session: SessionDep, registry: RegistryDep, user: ConsoleResearcher
) -> Response:
    """Studies and the export, codebook and aggregates forms."""
    created = request.query_params.get("created")
    notice = request_texts(request)["study_created"] if created else None
    return await research_page(request, session, registry, user, notice=notice)


async def _query(
    request: Request, session: SessionDep, registry: Registry, user: User
) -> tuple[ResearchQuery | None, Definition | None, Any, dict[str, Any], dict[str, str]]:
    """The form's query, its definition and study, or the errors to show."""
    values: dict[str, Any] = dict(request.query_params)
    values["items"] = values.get("items") == "yes"
    t = request_texts(request)
    query, errors = validate(ResearchQuery, values, request_locale(request))
    if query is None:
        if "form" in errors:  # the only check across fields: the period's order
            errors = {k: v for k, v in errors.items() if k != "form"}
            errors["end"] = t["period_backwards"]
        return None, None, None, values, errors
    try:
        definition = registry.get(query.questionnaire, query.version)
    except LookupError:
        return None, None, None, values, {"version": t["no_version"]}
    study = None
    if query.study:
        try:
            study = await studies.study_named(session, user.organization_id, query.study)
        except NotFound:
            return None, None, None, values, {"study": t["no_study"]}
    return query, definition, study, values, {}


def _refused(error: InvalidInput | TooFewPeople, locale: str) -> dict[str, str]:
    """A refused export or aggregate as errors by field, in the page's language."""
    if isinstance(error, TooFewPeople) and locale != "en":
        k = error.extensions["min_people"]
        return {"form": texts(locale)["too_few"].format(k=k)}
    return service_errors(error, FILTER_FIELDS, locale)


@router.get("/export")
async def export(
    request: Request,
    session: SessionDep,
    registry: RegistryDep,
    user: ConsoleResearcher,
    _slot: ExportSlot,
) -> Response:
    """Download the export (streamed, audited when it ends); the same rules as the API's."""
    query, definition, _study, values, errors = await _query(request, session, registry, user)
    if query is None or definition is None:
        return await research_page(request, session, registry, user, values, errors)
    try:
        prepared = await requests.prepare_export(
            session,
            request.app.state.settings,
            user,
            definition,
            start=query.start,
            end=query.end,
            study=query.study,
            items=query.items,
            export_format=query.format,
            via="console",
        )
    except (InvalidInput, TooFewPeople) as error:
        errors = _refused(error, request_locale(request))
        return await research_page(request, session, registry, user, values, errors)
    headers = {**CONSOLE_HEADERS, **prepared.headers}
    state = request.app.state
    chunks = audited_export(state.export_readers, state.engine, prepared.spec, prepared.run)
    return ExportResponse(chunks, media_type=MEDIA_TYPES[query.format], headers=headers)


@router.get("/codebook")
async def show_codebook(
    request: Request, session: SessionDep, registry: RegistryDep, user: ConsoleResearcher
) -> Response:
    """The codebook as a page, or as CSV with `download=csv`."""
    query, definition, _study, values, errors = await _query(request, session, registry, user)
    if query is None or definition is None:
        return await research_page(request, session, registry, user, values, errors)
    csv = request.query_params.get("download") == "csv"
    book = await requests.describe_columns(
        session,
        request.app.state.settings,
        registry,
        user,
        definition,
        study=query.study,
        shown_as="csv" if csv else "html",
    )
    if csv:
        headers = {
            **CONSOLE_HEADERS,
            "Content-Disposition": f'attachment; filename="{definition.key}-codebook.csv"',
        }
        return Response(codebook_csv(book), media_type="text/csv; charset=utf-8", headers=headers)
    return page(
        request,
        "console/research/codebook.html",
        user,
        title=request_texts(request)["codebook_heading"].format(
            id=definition.id, version=definition.version
        ),
        book=book,
        query=request.url.query,
    )


@router.get("/aggregates")
async def show_aggregates(
    request: Request, session: SessionDep, registry: RegistryDep, user: ConsoleResearcher
) -> Response:
    """People, assessments, means and bands per period, as tables; small cells hidden."""
    query, definition, _, values, errors = await _query(request, session, registry, user)
    if query is None or definition is None:
        return await research_page(request, session, registry, user, values, errors)
    k = request.app.state.settings.research_min_cell
    try:
        found = await requests.aggregate_periods(
            session,
            request.app.state.settings,
            user,
            definition,
            period=query.period,
            start=query.start,
            end=query.end,
            study=query.study,
            via="console",
        )
    except (InvalidInput, TooFewPeople) as error:
        errors = _refused(error, request_locale(request))
        return await research_page(request, session, registry, user, values, errors)
    periods = found.periods
    locale = request_locale(request)
    titles = {
        s.id: localized(s.title, locale, definition.default_locale) for s in definition.scales
    }
    return page(
        request,
        "console/research/aggregates.html",
        user,
        title=request_texts(request)["aggregates_heading"].format(
            id=definition.id, version=definition.version
        ),
        definition=definition,
        periods=periods,
        titles=titles,
        k=k,
        period=query.period,
    )


@router.post("/studies")
async def create_study(
    request: Request, session: SessionDep, registry: RegistryDep, user: ConsoleResearcher
) -> Response:
    """Name a new study (a name already used is an error by the field, nothing created)."""
    data = await read_form(request)
    locale = request_locale(request)
    body, errors = validate(StudyCreate, {"name": data.get("name", "")}, locale)
    if body is not None:
        try:
            await studies.create_study(session, user, body.name)
        except (Conflict, InvalidInput) as error:
            errors = service_errors(error, locale=locale)
    if body is None or errors:
        return await research_page(
            request, session, registry, user, {"name": data.get("name", "")}, errors
        )
    return RedirectResponse("/console/research?created=1", 303, headers=dict(CONSOLE_HEADERS))
