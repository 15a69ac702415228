"""Use cases of clients: create, list and find one, always within the caller's scope.

Scope: an admin sees every client of their organization, a therapist only their own. A client
outside the scope is reported as not found, exactly like one that does not exist.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ADMIN, THERAPIST, User
from app.clinic.models import Client
from app.clinic.schemas import ClientPage, ClientRead
from app.db import utcnow
from app.errors import Forbidden, InvalidInput, NotFound
from app.pagination import SelectT, encode_cursor, newest_first, split_page
from app.respondents.models import Respondent


def in_scope(statement: SelectT, user: User) -> SelectT:
    """Restrict a query that involves `Client` to the clients the user may see."""
    statement = statement.where(Client.organization_id == user.organization_id)
    if user.role != ADMIN:
        statement = statement.where(Client.therapist_id == user.id)
    return statement


async def find_client(session: AsyncSession, user: User, client_id: uuid.UUID) -> Client:
    """The client if the user may see them, else 404 (whether or not they exist)."""
    statement = in_scope(select(Client).where(Client.id == client_id), user)
    client = (await session.execute(statement)).scalar_one_or_none()
    if client is None:
        raise NotFound("No such client.")
    return client


async def create_client(
    session: AsyncSession,
    user: User,
    label: str,
    email: str | None,
    therapist_id: uuid.UUID | None,
) -> Client:
    """A new client with a respondent of their own that will own their assessments."""
    therapist_id = await _owner(session, user, therapist_id)
    now = utcnow()
    respondent = Respondent(created_at=now, updated_at=now)
    session.add(respondent)
    await session.flush()
    client = Client(
        organization_id=user.organization_id,
        therapist_id=therapist_id,
        label=label,
        email=email.lower() if email else None,
        respondent_id=respondent.id,
        created_at=now,
        updated_at=now,
    )
    session.add(client)
    await session.flush()
    return client


async def update_client(
    session: AsyncSession, client: Client, label: str, email: str | None
) -> Client:
    """Change a client's label and email (the caller found the client in their scope)."""
    client.label = label
    client.email = email.lower() if email else None
    client.updated_at = utcnow()
    await session.flush()
    return client


async def _owner(session: AsyncSession, user: User, therapist_id: uuid.UUID | None) -> uuid.UUID:
    """Whose client it will be: the caller's, or (for an admin) a therapist of the organization."""
    if therapist_id is None or therapist_id == user.id:
        return user.id
    if user.role != ADMIN:
        raise Forbidden("Only an admin can add a client for another therapist.")
    statement = select(User.id).where(
        User.id == therapist_id,
        User.organization_id == user.organization_id,
        User.role.in_((THERAPIST, ADMIN)),
        User.is_active.is_(True),
    )
    if (await session.execute(statement)).scalar_one_or_none() is None:
        raise InvalidInput(
            "There is no active therapist with this id in your organization.",
            errors=[{"pointer": "#/therapist_id", "detail": "not a therapist of yours"}],
        )
    return therapist_id


async def list_clients(
    session: AsyncSession, user: User, *, limit: int, cursor: str | None
) -> ClientPage:
    """A page of the clients the user may see, newest first (keyset pagination)."""
    statement = in_scope(
        newest_first(select(Client), Client.created_at, Client.id, limit=limit, cursor=cursor),
        user,
    )
    page, more = split_page(list((await session.execute(statement)).scalars()), limit)
    return ClientPage(
        items=[present_client(c) for c in page],
        next_cursor=encode_cursor(page[-1].created_at, page[-1].id) if more else None,
    )


def present_client(client: Client) -> ClientRead:
    """A client as the API shows them."""
    return ClientRead(
        id=client.id,
        label=client.label,
        email=client.email,
        email_opt_out=client.email_opt_out_at is not None,
        therapist_id=client.therapist_id,
        created_at=client.created_at,
    )
