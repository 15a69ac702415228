"""/v1/respondents and the caller's own data under /v1/me."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from app.db import SessionDep
from app.problems import problems
from app.ratelimit import Bucket, Limiter, address_key, client_address
from app.respondents import service
from app.respondents.dependencies import CurrentRespondent
from app.respondents.schemas import (
    ConsentRead,
    ConsentUpdate,
    DataExport,
    Erasure,
    RespondentCreate,
    RespondentCreated,
)

router = APIRouter(prefix="/v1", tags=["respondents"])


@router.post(
    "/respondents",
    status_code=status.HTTP_201_CREATED,
    response_model=RespondentCreated,
    responses=problems(413, 422, 429),
)
async def create_respondent(
    response: Response,
    request: Request,
    session: SessionDep,
    limiter: Limiter,
    body: RespondentCreate | None = None,
) -> RespondentCreated:
    """Create an anonymous respondent for an app install. The token is shown only this once.

    Every field is optional: no body at all is the same as `{}`. Each address may create
    `ATTUNE_RESPONDENT_CREATION_LIMIT` (generous: an install makes one).
    """
    body = body or RespondentCreate()
    limit = request.app.state.settings.respondent_creation_limit
    await limiter.reserve(Bucket(limit, ("respondents", address_key(client_address(request)))))
    respondent, token = await service.create_respondent(
        session, locale=body.locale, research_consent=body.research_consent
    )
    response.headers["Cache-Control"] = "no-store"
    return RespondentCreated(
        id=respondent.id,
        token=token,
        research_consent=respondent.research_consent,
        created_at=respondent.created_at,
    )


@router.put("/me/consent", response_model=ConsentRead, responses=problems(401, 403, 422))
async def update_my_consent(body: ConsentUpdate, respondent: CurrentRespondent) -> ConsentRead:
    """Give or withdraw consent to anonymized research use of your scores."""
    service.set_consent(respondent, body.research)
    return ConsentRead(
        research=respondent.research_consent, updated_at=respondent.research_consent_at
    )


@router.get("/me/export", response_model=DataExport, responses=problems(401, 403))
async def export_my_data(
    session: SessionDep, respondent: CurrentRespondent, response: Response
) -> DataExport:
    """Download everything stored about you: answers, results, consent."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = 'attachment; filename="attune-my-data.json"'
    return await service.export_data(session, respondent)


@router.delete("/me", response_model=Erasure, responses=problems(401, 403))
async def erase_me(session: SessionDep, respondent: CurrentRespondent) -> Erasure:
    """Erase all your answers, results and tokens, for good; says what was erased."""
    return await service.erase_respondent(session, respondent)
