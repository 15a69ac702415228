"""Objects named in console paths, in the signed-in clinician's scope, or "not found".

The same service lookups as the API's (app/clinic/dependencies.py), with the console's
session instead of a bearer token: something outside the scope is exactly as absent as
something that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.assessments.models import Result
from app.clinic import invitations, results, service
from app.clinic.models import Client, Invitation
from app.console.session import ConsoleClinician
from app.db import SessionDep
from app.schedules import service as schedules
from app.schedules.models import Schedule


async def client_in_scope(
    client_id: uuid.UUID, session: SessionDep, user: ConsoleClinician
) -> Client:
    """The client named in the path, if the clinician may see them."""
    return await service.find_client(session, user, client_id)


async def invitation_in_scope(
    invitation_id: uuid.UUID, session: SessionDep, user: ConsoleClinician
) -> Invitation:
    """The invitation named in the path, if it is for a client the clinician may see."""
    return await invitations.find_invitation(session, user, invitation_id)


async def result_in_scope(
    result_id: uuid.UUID, session: SessionDep, user: ConsoleClinician
) -> Result:
    """The result named in the path, if it is a client's the clinician may see."""
    return await results.find_result(session, user, result_id)


ConsoleClient = Annotated[Client, Depends(client_in_scope)]
ConsoleInvitation = Annotated[Invitation, Depends(invitation_in_scope)]
ConsoleResult = Annotated[Result, Depends(result_in_scope)]


async def schedule_in_scope(
    schedule_id: uuid.UUID, session: SessionDep, user: ConsoleClinician
) -> Schedule:
    """The schedule named in the path, if it is for a client the clinician may see."""
    return await schedules.find_schedule(session, user, schedule_id)


ConsoleSchedule = Annotated[Schedule, Depends(schedule_in_scope)]
