"""The staff member behind a request's bearer token, and role requirements.

`CurrentUser` is any active staff member; `CurrentTherapist` a therapist or an admin (an admin
sees the whole organization's clients, a therapist only their own); `CurrentAdmin` an admin.
A token of the wrong kind (a respondent's) is simply not a staff token: 401.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.accounts import tokens
from app.accounts.models import ADMIN, THERAPIST, User
from app.db import SessionDep
from app.errors import Forbidden
from app.security import StaffBearer


async def current_user(session: SessionDep, token: StaffBearer) -> User:
    """The active staff member owning the token, or 401."""
    return await tokens.authenticate(session, token)


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: str) -> object:
    """A dependency that lets only these roles through (403 for other staff)."""

    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(f"This needs the role {' or '.join(roles)}.")
        return user

    return Depends(check)


CurrentTherapist = Annotated[User, require_role(THERAPIST, ADMIN)]
CurrentAdmin = Annotated[User, require_role(ADMIN)]
