"""Lookups of the clinic routes: a client, invitation or result in the caller's scope, or 404.

A researcher is refused (403) before any lookup; for therapists and admins, anything outside
their scope is not found, exactly like something that does not exist, so nothing leaks.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from app.accounts.dependencies import CurrentTherapist
from app.assessments.models import Result
from app.clinic import invitations, results, service
from app.clinic.models import Client, Invitation
from app.config import Settings
from app.db import SessionDep


async def client_in_scope(
    client_id: uuid.UUID, session: SessionDep, user: CurrentTherapist
) -> Client:
    """The client named in the path, if the caller may see them."""
    return await service.find_client(session, user, client_id)


async def invitation_in_scope(
    invitation_id: uuid.UUID, session: SessionDep, user: CurrentTherapist
) -> Invitation:
    """The invitation named in the path, if it is for a client the caller may see."""
    return await invitations.find_invitation(session, user, invitation_id)


async def result_in_scope(
    result_id: uuid.UUID, session: SessionDep, user: CurrentTherapist
) -> Result:
    """The result named in the path, if it is a client's the caller may see."""
    return await results.find_result(session, user, result_id)


ClientInScope = Annotated[Client, Depends(client_in_scope)]
InvitationInScope = Annotated[Invitation, Depends(invitation_in_scope)]
ResultInScope = Annotated[Result, Depends(result_in_scope)]


async def app_settings(request: Request) -> Settings:
    """The running application's settings."""
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]
