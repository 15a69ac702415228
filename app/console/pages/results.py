"""Results of a client: clinician summaries, rule traces, feedback, charts, print view."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.clinic.models import Client
from app.questionnaires.registry import Registry


async def results_context(
    session: AsyncSession, registry: Registry, user: User, client: Client
) -> dict[str, Any]:
    """What the client page shows of the client's results."""
    return {}
