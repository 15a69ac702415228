"""Console test data: a therapist who can sign in, clients with results and pending links."""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from app.accounts.models import User
from app.clinic import invitations, service
from tests.accounts.staff import new_user
from tests.clinic.conftest import CALM, FLAGGING, submit_for


async def therapist(app: FastAPI, email: str = "sam@clinic.test") -> tuple[uuid.UUID, uuid.UUID]:
    """A therapist with the test password; (user id, organization id)."""
    return await new_user(app, email, "therapist")


async def clients_with_results(app: FastAPI, user_id: uuid.UUID, count: int) -> list[str]:
    """`count` clients of the user, each with a flagged then a calm result and a live link."""
    ids = []
    async with app.state.sessionmaker.begin() as session:
        user = await session.get_one(User, user_id)
        for number in range(count):
            client = await service.create_client(session, user, f"Client {number:03}", None, None)
            ids.append(str(client.id))
            chosen = invitations.resolve_questionnaires(app.state.registry, ["connection"])
            await invitations.create_invitation(
                session, user, client, chosen, expires_in_days=7, show_feedback=True
            )
    for client_id in ids:
        await submit_for(app, client_id, CALM)
        await submit_for(app, client_id, FLAGGING)
    return ids
