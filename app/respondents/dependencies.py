"""The respondent behind a request's bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.db import SessionDep
from app.errors import Forbidden
from app.intake.scope import is_intake_token, limit_to_invitation
from app.intake.service import authenticate_invitation
from app.respondents import service
from app.respondents.models import Respondent
from app.security import RespondentBearer

#: The routes an intake link's token may call: answering that invitation's assessments.
#: An allow-list, so a new route is closed to intake tokens until someone opens it.
INTAKE_TOKEN_ROUTES = frozenset(
    {
        "/v1/assessments",
        "/v1/assessments/{assessment_id}",
        "/v1/assessments/{assessment_id}/answers",
        "/v1/assessments/{assessment_id}/submit",
        "/v1/assessments/{assessment_id}/result",
    }
)


def remember_respondent(request: Request, respondent: Respondent) -> None:
    """Record whose live respondent token this request carries, found by another query.

    `app.assessments.dependencies` finds the token's respondent together with the
    assessment; `current_respondent` then answers with it instead of asking again.
    """
    request.state.respondent = respondent


async def current_respondent(
    request: Request, session: SessionDep, token: RespondentBearer
) -> Respondent:
    """The authenticated respondent, or 401.

    An intake token stands for the client's respondent, confined to its invitation's
    assessments: 403 anywhere else (their history, consent, export, erasure).
    """
    if not is_intake_token(token):
        known: Respondent | None = getattr(request.state, "respondent", None)
        if known is not None:  # found with this request's token (`remember_respondent`)
            return known
        return await service.authenticate(session, token)
    respondent, scope = await authenticate_invitation(session, token)
    route = request.scope.get("route")
    if getattr(route, "path", None) not in INTAKE_TOKEN_ROUTES:
        raise Forbidden("An intake link's token can only answer that link's questionnaires.")
    limit_to_invitation(session, scope)
    return respondent


CurrentRespondent = Annotated[Respondent, Depends(current_respondent)]
