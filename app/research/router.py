"""/v1/research: anonymized export, codebook, aggregates and studies, for researchers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.accounts.dependencies import CurrentAdmin, require_role
from app.accounts.models import ADMIN, RESEARCHER, User
from app.clinic.dependencies import AppSettings
from app.db import SessionDep
from app.problems import problems
from app.questionnaires.dependencies import RegistryDep, VersionQuery, find_questionnaire
from app.questionnaires.model import SLUG
from app.research import requests, studies
from app.research.codebook import codebook_csv
from app.research.export import MEDIA_TYPES, Chunk, audited_export
from app.research.readers import ExportReaders
from app.research.schemas import (
    Aggregates,
    Codebook,
    DesignationUpdate,
    Period,
    StudyCreate,
    StudyRead,
)

router = APIRouter(prefix="/v1/research", tags=["research"])

Researcher = Annotated[User, require_role(RESEARCHER)]
ResearchStaff = Annotated[User, require_role(RESEARCHER, ADMIN)]
Questionnaire = Annotated[str, Query(pattern=SLUG, examples=["window-of-tolerance"])]
_UNITS = (
    "A year (2024); in a study an admin designated for months or ISO weeks, also a month "
    "(2024-03) or a week (2024-W05). A day or any finer time is refused (422): filters are "
    "never finer than the rows show."
)
From = Annotated[
    str | None,
    Query(alias="from", max_length=40, examples=["2024"], description=f"First period. {_UNITS}"),
]
To = Annotated[
    str | None,
    Query(alias="to", max_length=40, examples=["2025"], description=f"Last period. {_UNITS}"),
]
StudyName = Annotated[str | None, Query(max_length=100, description="Use a study's pseudonyms.")]
RESEARCH = problems(401, 403, 404, 422)
_REFUSED = "A filter is invalid or finer than the rows show, or the data would describe fewer "
_REFUSED += "than k people (urn:attune:problem:too-few-people)."
FILTERED = RESEARCH | {422: RESEARCH[422] | {"description": _REFUSED}}
_BUSY = "As many exports as the server runs at once are streaming; wait for Retry-After seconds."
EXPORTS_BUSY = {429: problems(429)[429] | {"description": _BUSY}}


async def _export_slot(request: Request) -> AsyncIterator[None]:
    """Hold an export slot until the response has been sent or cut off (429 when none free)."""
    readers: ExportReaders = request.app.state.export_readers
    with readers.slot():
        yield


ExportSlot = Annotated[None, Depends(_export_slot)]


class ExportResponse(StreamingResponse):
    """A streamed export that is always closed: its query stops and its audit entry is written
    even when the client goes away (Starlette would leave the generator to the collector)."""

    def __init__(self, chunks: AsyncGenerator[Chunk], **kwargs: Any) -> None:
        self._chunks = chunks
        super().__init__((chunk.data async for chunk in chunks), **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._chunks.aclose()


@router.get(
    "/export",
    name="export_research_data",
    response_class=StreamingResponse,
    responses=FILTERED
    | EXPORTS_BUSY
    | {
        200: {
            "content": {m: {} for m in MEDIA_TYPES.values()},
            "description": "The rows, streamed.",
        }
    },
)
async def export(
    request: Request,
    session: SessionDep,
    registry: RegistryDep,
    settings: AppSettings,
    researcher: Researcher,
    _slot: ExportSlot,
    questionnaire: Questionnaire,
    version: VersionQuery = None,
    start: From = None,
    end: To = None,
    format: Literal["csv", "jsonl"] = "csv",
    study: StudyName = None,
    items: bool = False,
) -> StreamingResponse:
    """Stream the organization's consented, scored assessments, de-identified (see codebook).

    Refused (422) when the rows would belong to fewer than k people; 429 with Retry-After
    while as many exports as the server runs at once are streaming."""
    definition = find_questionnaire(registry, questionnaire, version)
    prepared = await requests.prepare_export(
        session,
        settings,
        researcher,
        definition,
        start=start,
        end=end,
        study=study,
        items=items,
        export_format=format,
        via="api",
    )
    state = request.app.state
    chunks = audited_export(state.export_readers, state.engine, prepared.spec, prepared.run)
    return ExportResponse(chunks, media_type=MEDIA_TYPES[format], headers=prepared.headers)


@router.get(
    "/codebook", response_model=Codebook, responses=RESEARCH | {200: {"content": {"text/csv": {}}}}
)
async def get_codebook(
    session: SessionDep,
    registry: RegistryDep,
    settings: AppSettings,
    researcher: Researcher,
    questionnaire: Questionnaire,
    version: VersionQuery = None,
    format: Literal["json", "csv"] = "json",
    study: StudyName = None,
) -> Codebook | Response:
    """Every column of an export: type, values, item texts, scoring rules, bands, sources."""
    definition = find_questionnaire(registry, questionnaire, version)
    book = await requests.describe_columns(
        session, settings, registry, researcher, definition, study=study, shown_as=format
    )
    if format == "csv":
        return Response(codebook_csv(book), media_type="text/csv; charset=utf-8")
    return book


@router.get("/aggregates", responses=FILTERED)
async def get_aggregates(
    session: SessionDep,
    registry: RegistryDep,
    settings: AppSettings,
    researcher: Researcher,
    questionnaire: Questionnaire,
    period: Annotated[
        Period,
        Query(description="month or week only with the study= of a study designated for it."),
    ] = "year",
    version: VersionQuery = None,
    start: From = None,
    end: To = None,
    study: StudyName = None,
) -> Aggregates:
    """Counts, means and band distributions per calendar year (or a designated study's month
    or ISO week); cells under k people hidden, fewer than k people in all refused (422)."""
    definition = find_questionnaire(registry, questionnaire, version)
    return await requests.aggregate_periods(
        session,
        settings,
        researcher,
        definition,
        period=period,
        start=start,
        end=end,
        study=study,
        via="api",
    )


@router.post(
    "/studies", status_code=status.HTTP_201_CREATED, responses=problems(401, 403, 409, 422)
)
async def create_study(body: StudyCreate, session: SessionDep, user: ResearchStaff) -> StudyRead:
    """Create a named study: its exports share pseudonyms (year only until an admin designates)."""
    return StudyRead.model_validate(await studies.create_study(session, user, body.name))


@router.get("/studies", responses=problems(401, 403))
async def list_studies(session: SessionDep, user: ResearchStaff) -> list[StudyRead]:
    """Your organization's studies, by name."""
    found = await studies.list_studies(session, user.organization_id)
    return [StudyRead.model_validate(study) for study in found]


@router.put("/studies/{study_id}/designation", responses=problems(401, 403, 404, 422))
async def designate_study(
    study_id: uuid.UUID, body: DesignationUpdate, session: SessionDep, admin: CurrentAdmin
) -> StudyRead:
    """Mark a study a limited data set or expert-determined, allowing one finer time element
    (admins only; audited as study.designate)."""
    study = await studies.study_in(session, admin.organization_id, study_id)
    updated = await studies.designate(session, admin, study, body.designation, body.finer_time)
    return StudyRead.model_validate(updated)
