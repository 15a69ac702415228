"""What an intake link's token is and may reach: one invitation and the questionnaires it names.

A request authenticated by a link's token confines its session to the invitation
(`limit_to_invitation`), so every assessment use case in that request stays inside it, not
just the routes that think of it. The intake owns this; the assessment use cases only ask.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment
from app.clinic.models import Invitation
from app.errors import Conflict
from app.questionnaires.registry import Registry

#: Marks intake tokens (`ati_…`); not a secret.
TOKEN_PREFIX = "ati"  # noqa: S105

#: Key of the scope in `session.info`.
_INVITATION_SCOPE = "attune.invitation_scope"


@dataclass(frozen=True)
class InvitationScope:
    """What an intake link's token may reach: one invitation and the questionnaires it names."""

    invitation_id: uuid.UUID
    questionnaires: frozenset[tuple[str, str]]
    #: The therapist's choice: without it, the client's results are not shown to them.
    show_feedback: bool = True


def is_intake_token(token: str) -> bool:
    """Whether a bearer token is an intake link's (by its prefix)."""
    return token.startswith(f"{TOKEN_PREFIX}_")


def limit_to_invitation(session: AsyncSession, scope: InvitationScope) -> None:
    """Confine this session's assessment use cases to one invitation."""
    session.info[_INVITATION_SCOPE] = scope


def invitation_scope(session: AsyncSession) -> InvitationScope | None:
    """The invitation this session is confined to, if any."""
    scope: InvitationScope | None = session.info.get(_INVITATION_SCOPE)
    return scope


async def first_of_its_questionnaire(
    session: AsyncSession, invitation_id: uuid.UUID, questionnaire_id: str
) -> None:
    """409 if the invitation already has an assessment of this questionnaire.

    A link asks for each questionnaire once: the one already made (by the form or the app)
    is the one to answer. The invitation row is locked first (PostgreSQL), so two starts at
    once make one assessment.
    """
    lock = select(Invitation.id).where(Invitation.id == invitation_id).with_for_update()
    await session.execute(lock)
    existing = select(Assessment.id).where(
        Assessment.invitation_id == invitation_id,
        Assessment.questionnaire_id == questionnaire_id,
    )
    found = (await session.execute(existing.limit(1))).scalar_one_or_none()
    if found is not None:
        raise Conflict(
            f"This intake link already has an assessment of {questionnaire_id}: answer that one.",
            assessment=f"/v1/assessments/{found}",
        )


def offered_references(registry: Registry, invitation: Invitation) -> list[dict[str, str]]:
    """The invitation's questionnaires that are still offered here, in its order.

    A link made while the operator had a `requires_permission` questionnaire enabled keeps
    naming it after it is turned off; from then on it is not served (the licence no longer
    covers it here), and the rest of the link still works. `Registry.is_offered` is the one
    rule, as for listing and inviting.
    """
    return [q for q in invitation.questionnaires if registry.is_offered(q["id"])]
