"""Use cases of an organization's support settings: its country and its own crisis lines."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.clinic.models import Invitation
from app.questionnaires.support import OrganizationSupport


async def organization_support(
    session: AsyncSession, organization_id: uuid.UUID | None
) -> OrganizationSupport | None:
    """What the organization set for its clients' support lines (none if nothing is set)."""
    if organization_id is None:
        return None
    organization = await session.get(Organization, organization_id)
    if organization is None or (
        organization.support_country is None and not organization.support_lines
    ):
        return None
    return OrganizationSupport.model_validate(
        {"country": organization.support_country, "lines": organization.support_lines or []}
    )


async def set_organization_support(
    session: AsyncSession, organization_id: uuid.UUID, settings: OrganizationSupport
) -> OrganizationSupport:
    """Replace the organization's country and lines; return what is now stored."""
    organization = await session.get_one(Organization, organization_id)
    organization.support_country = settings.country
    organization.support_lines = [line.model_dump(mode="json") for line in settings.lines]
    await session.flush()
    return settings


async def invitation_support(
    session: AsyncSession, invitation_id: uuid.UUID | None
) -> OrganizationSupport | None:
    """The support settings of the organization that sent an intake invitation."""
    if invitation_id is None:
        return None
    invitation = await session.get(Invitation, invitation_id)
    return await organization_support(session, invitation.organization_id if invitation else None)
