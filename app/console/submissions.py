"""Once-only forms: each creating form carries a random nonce, claimed in the same
transaction as what it creates. A second submit of the same form (a double click, the back
button) finds the claim and is sent to what the first one made, creating nothing.
"""

from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.console.models import FormSubmission
from app.db import insert_unless_exists
from app.errors import BadRequest

FIELD = "form_nonce"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def new_nonce() -> str:
    """A nonce for a form about to be shown."""
    return secrets.token_urlsafe(24)


async def claim(session: AsyncSession, user: User, nonce: str) -> str | None:
    """Claim the form; None when it is the first submit, else where the first one led."""
    if not _NONCE.match(nonce):
        raise BadRequest("This form is incomplete. Please reload the page and try again.")
    row = FormSubmission(id=uuid.uuid4(), nonce=nonce, user_id=user.id)
    if await insert_unless_exists(session, row, ["nonce"]):
        return None
    return await earlier(session, user, nonce) or "/console"


async def earlier(session: AsyncSession, user: User, nonce: str) -> str | None:
    """Where an earlier submit of this form by this user led, if there was one."""
    statement = select(FormSubmission.target).where(
        FormSubmission.nonce == nonce, FormSubmission.user_id == user.id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def complete(session: AsyncSession, nonce: str, target: str) -> None:
    """Record where the first submit led."""
    await session.execute(
        update(FormSubmission).where(FormSubmission.nonce == nonce).values(target=target)
    )
