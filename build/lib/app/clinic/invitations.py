"""Use cases of intake invitations: create (the token is returned once), list, revoke.

The token is 256-bit random and stored only as its SHA-256; the intake form looks an
invitation up by that hash. Status is computed from the columns, never stored twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.clinic.models import Client, Invitation
from app.clinic.schemas import InvitationRead, InvitationStatus, QuestionnaireRef
from app.clinic.service import in_scope
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.questionnaires.registry import Registry
from app.security import hash_token, new_token

TOKEN_PREFIX = "ati"  # noqa: S105 (marks intake tokens; not a secret)


def resolve_questionnaires(registry: Registry, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Each id at its latest version, or 422 naming every unknown or repeated entry."""
    resolved: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for index, questionnaire_id in enumerate(ids):
        if any(r["id"] == questionnaire_id for r in resolved):
            errors.append({"pointer": f"#/questionnaires/{index}", "detail": "listed twice"})
            continue
        try:
            definition = registry.get(questionnaire_id)
        except LookupError as error:
            errors.append({"pointer": f"#/questionnaires/{index}", "detail": str(error)})
            continue
        resolved.append({"id": definition.id, "version": definition.version})
    if errors:
        raise InvalidInput("Some questionnaires cannot be sent.", errors=errors)
    return resolved


async def create_invitation(
    session: AsyncSession,
    user: User,
    client: Client,
    questionnaires: list[dict[str, Any]],
    *,
    expires_in_days: int,
    show_feedback: bool,
) -> tuple[Invitation, str]:
    """A new invitation and its token (in clear this once; only the hash is stored)."""
    token = new_token(TOKEN_PREFIX)
    now = utcnow()
    invitation = Invitation(
        organization_id=client.organization_id,
        client_id=client.id,
        created_by=user.id,
        token_hash=hash_token(token),
        questionnaires=questionnaires,
        show_feedback=show_feedback,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days),
    )
    session.add(invitation)
    await session.flush()
    return invitation, token


async def list_invitations(session: AsyncSession, client: Client) -> list[Invitation]:
    """The client's invitations, newest first."""
    statement = (
        select(Invitation)
        .where(Invitation.client_id == client.id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    return list((await session.execute(statement)).scalars())


async def find_invitation(
    session: AsyncSession, user: User, invitation_id: uuid.UUID
) -> Invitation:
    """The invitation if it is for a client the user may see, else 404."""
    statement = in_scope(
        select(Invitation)
        .join(Client, Client.id == Invitation.client_id)
        .where(Invitation.id == invitation_id),
        user,
    )
    invitation = (await session.execute(statement)).scalar_one_or_none()
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation


async def revoke_invitation(session: AsyncSession, invitation: Invitation) -> Invitation:
    """Revoke an unused invitation; revoking twice is fine, revoking a used one is a 409."""
    # A conditional UPDATE, so a revoke racing the client's submit cannot both succeed.
    await session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(invitation)
    if invitation.used_at is not None:
        raise Conflict("This invitation was already used, so it cannot be revoked.")
    return invitation


def invitation_status(invitation: Invitation, now: datetime) -> InvitationStatus:
    """Where the invitation stands: used and revoked win over expired."""
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    return "pending"


def present_invitation(invitation: Invitation, now: datetime) -> InvitationRead:
    """An invitation as the API shows it, without the token or the link."""
    return InvitationRead(
        id=invitation.id,
        client_id=invitation.client_id,
        questionnaires=[QuestionnaireRef.model_validate(q) for q in invitation.questionnaires],
        show_feedback=invitation.show_feedback,
        status=invitation_status(invitation, now),
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        used_at=invitation.used_at,
        revoked_at=invitation.revoked_at,
    )
