"""/v1/research: anonymized export, codebook, aggregates and studies, for researchers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import date
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query, Request, Response, status
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.accounts.dependencies import CurrentAdmin, require_role
from app.accounts.models import ADMIN, RESEARCHER, User
from app.audit.service import record
from app.clinic.dependencies import AppSettings
from app.db import SessionDep
from app.errors import InvalidInput
from app.problems import problems
from app.questionnaires.dependencies import RegistryDep, VersionQuery, find_questionnaire
from app.questionnaires.model import SLUG
from app.research import studies
from app.research.aggregates import aggregate
from app.research.codebook import codebook, codebook_csv
from app.research.export import MEDIA_TYPES, Chunk, ExportRun, audited_export
from app.research.schemas import (
    Aggregates,
    Codebook,
    DesignationUpdate,
    Period,
    StudyCreate,
    StudyRead,
)
from app.research.service import ExportSpec

router = APIRouter(prefix="/v1/research", tags=["research"])

Researcher = Annotated[User, require_role(RESEARCHER)]
ResearchStaff = Annotated[User, require_role(RESEARCHER, ADMIN)]
Questionnaire = Annotated[str, Query(pattern=SLUG, examples=["window-of-tolerance"])]
From = Annotated[date | None, Query(alias="from", description="First day (UTC), inclusive.")]
To = Annotated[date | None, Query(alias="to", description="Last day (UTC), inclusive.")]
StudyName = Annotated[str | None, Query(max_length=100, description="Use a study's pseudonyms.")]
RESEARCH = problems(401, 403, 404, 422)


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
    responses=RESEARCH
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
    questionnaire: Questionnaire,
    version: VersionQuery = None,
    start: From = None,
    end: To = None,
    format: Literal["csv", "jsonl"] = "csv",
    study: StudyName = None,
    items: bool = False,
) -> StreamingResponse:
    """Stream the organization's consented, scored assessments, de-identified (see codebook)."""
    _check_period(start, end)
    definition = find_questionnaire(registry, questionnaire, version)
    found = await studies.study_named(session, researcher.organization_id, study) if study else None
    scope = studies.scope_of(found, settings.secret_key.get_secret_value())
    spec = ExportSpec(researcher.organization_id, definition, scope, start, end, items, format)
    run = ExportRun(researcher.organization_id, researcher.id, via="api")
    headers = {
        "Content-Disposition": f'attachment; filename="{definition.key}.{format}"',
        "Attune-Pseudonym-Scope": scope.label,
        "Attune-Designation": scope.designation,
        "Attune-Finer-Time": scope.finer_time or "none",
        "Cache-Control": "no-store",
    }
    chunks = audited_export(request.app.state.engine, spec, run)
    return ExportResponse(chunks, media_type=MEDIA_TYPES[format], headers=headers)


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
    found = await studies.study_named(session, researcher.organization_id, study) if study else None
    # The key is not needed to describe the columns; a study's scope still names its designation.
    scope = studies.scope_of(found, settings.secret_key.get_secret_value())
    book = codebook(definition, registry.hash(definition), scope)
    await record(
        session,
        "research.codebook",
        organization_id=researcher.organization_id,
        actor_user_id=researcher.id,
        target=definition.key,
        details={"format": format, "study": study},
    )
    if format == "csv":
        return Response(codebook_csv(book), media_type="text/csv; charset=utf-8")
    return book


@router.get("/aggregates", responses=RESEARCH)
async def get_aggregates(
    session: SessionDep,
    registry: RegistryDep,
    settings: AppSettings,
    researcher: Researcher,
    questionnaire: Questionnaire,
    period: Period = "month",
    version: VersionQuery = None,
    start: From = None,
    end: To = None,
) -> Aggregates:
    """Counts, means and band distributions per week or month; cells under k people hidden."""
    _check_period(start, end)
    definition = find_questionnaire(registry, questionnaire, version)
    k = settings.research_min_cell
    periods = await aggregate(
        session,
        researcher.organization_id,
        definition,
        period=period,
        start=start,
        end=end,
        min_cell=k,
    )
    filters = {"period": period, "from": _day(start), "to": _day(end), "min_cell": k}
    await record(
        session,
        "research.aggregates",
        organization_id=researcher.organization_id,
        actor_user_id=researcher.id,
        target=definition.key,
        details=filters | {"periods": len(periods)},
    )
    return Aggregates(
        questionnaire_id=definition.id,
        questionnaire_version=definition.version,
        period=period,
        min_cell=k,
        periods=periods,
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


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _check_period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise InvalidInput(
            "The period ends before it starts.",
            errors=[{"parameter": "to", "detail": "must not be before from"}],
        )
