"""The respondent behind a request's bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.respondents import service
from app.respondents.models import Respondent
from app.security import BearerToken


async def current_respondent(session: SessionDep, token: BearerToken) -> Respondent:
    """The authenticated respondent, or 401."""
    return await service.authenticate(session, token)


CurrentRespondent = Annotated[Respondent, Depends(current_respondent)]
