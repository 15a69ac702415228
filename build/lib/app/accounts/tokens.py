"""Staff bearer tokens: issue, authenticate, revoke. Stored only as SHA-256, they expire."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User, UserToken
from app.db import utcnow
from app.errors import Unauthorized
from app.security import hash_token, new_token

TOKEN_PREFIX = "ats"  # noqa: S105 (marks staff tokens; not a secret)


async def issue_token(session: AsyncSession, user: User, lifetime: timedelta) -> str:
    """A new token for a staff member (returned in clear this once)."""
    token = new_token(TOKEN_PREFIX)
    session.add(
        UserToken(token_hash=hash_token(token), user_id=user.id, expires_at=utcnow() + lifetime)
    )
    await session.flush()
    return token


async def authenticate(session: AsyncSession, token: str) -> User:
    """The active staff member a live token belongs to, or 401."""
    statement = (
        select(User)
        .join(UserToken, UserToken.user_id == User.id)
        .where(
            UserToken.token_hash == hash_token(token),
            UserToken.revoked_at.is_(None),
            UserToken.expires_at > utcnow(),
            User.is_active.is_(True),
        )
    )
    user = (await session.execute(statement)).scalar_one_or_none()
    if user is None:
        raise Unauthorized("The bearer token is not valid (or has expired).")
    return user


async def revoke_token(session: AsyncSession, token: str) -> None:
    """Revoke one token (logout)."""
    await session.execute(
        update(UserToken)
        .where(UserToken.token_hash == hash_token(token), UserToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
