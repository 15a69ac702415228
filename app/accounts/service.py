"""Use cases of staff accounts: organizations, users, password login, role and access changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import passwords, tokens
from app.accounts.models import ADMIN, ROLES, Organization, User, UserToken
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound, Unauthorized
from app.ratelimit import FailureLimiter
from app.security import hash_token

# One message for every failure, so a caller cannot tell which emails have accounts.
LOGIN_FAILED = "The email or password is wrong, or the account is deactivated."


async def create_organization(session: AsyncSession, name: str) -> Organization:
    """A new organization."""
    organization = Organization(name=name.strip())
    session.add(organization)
    await session.flush()
    return organization


async def organization_named(session: AsyncSession, name: str) -> Organization:
    """The organization with this name, made when there is none (for the first admin)."""
    statement = select(Organization).where(Organization.name == name.strip()).limit(2)
    found = (await session.execute(statement)).scalars().all()
    if len(found) > 1:
        raise Conflict(f"Several organizations are named {name.strip()!r}.")
    return found[0] if found else await create_organization(session, name)


def normalize_email(email: str) -> str:
    """An email as stored and looked up: stripped and lower-cased."""
    return email.strip().lower()


async def create_user(
    session: AsyncSession, organization_id: uuid.UUID, email: str, password: str, role: str
) -> User:
    """A new staff member; 409 when the email is taken, 422 for a short password or bad role."""
    _check_new_user(password, role)
    email = normalize_email(email)
    taken = Conflict(
        "A user with this email exists.",
        errors=[{"pointer": "#/email", "detail": "This email is already in use."}],
    )
    if await _user_by_email(session, email) is not None:
        raise taken
    user = User(
        organization_id=organization_id,
        email=email,
        password_hash=await passwords.hash_password(password),
        role=role,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:  # the same email, created by a concurrent request
        raise taken from error
    return user


def _check_new_user(password: str, role: str) -> None:
    """The rules the API schema also states, for callers that bypass it (the CLI)."""
    errors = []
    if not passwords.MIN_PASSWORD_LENGTH <= len(password) <= passwords.MAX_PASSWORD_LENGTH:
        errors.append(
            {
                "pointer": "#/password",
                "detail": f"Use {passwords.MIN_PASSWORD_LENGTH} to "
                f"{passwords.MAX_PASSWORD_LENGTH} characters.",
            }
        )
    if role not in ROLES:
        errors.append({"pointer": "#/role", "detail": f"One of: {', '.join(ROLES)}."})
    if errors:
        raise InvalidInput("The new user is invalid.", errors=errors)


async def _user_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(User.email == email)
    return (await session.execute(statement)).scalar_one_or_none()


async def authenticate_password(session: AsyncSession, email: str, password: str) -> User:
    """The active user with this email and password, or 401 (the same 401 for every reason)."""
    user = await _user_by_email(session, normalize_email(email))
    # Verified even when there is no such user: see app/accounts/passwords.py.
    matches = await passwords.verify_password(password, user.password_hash if user else None)
    if user is None or not matches or not user.is_active:
        raise Unauthorized(LOGIN_FAILED)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(password)
        await session.flush()
    return user


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: who, and their new token (shown once)."""

    user: User
    token: str
    lifetime: timedelta


async def sign_in(
    session: AsyncSession,
    limiter: FailureLimiter,
    *,
    limit: str,
    address: str,
    email: str,
    password: str,
    lifetime: timedelta,
) -> SignIn:
    """Staff sign-in, for the API and the console alike: limit, verify, issue a token."""
    key = ("login", address)
    # Checked before verifying, so a refused address costs no argon2 work.
    await limiter.check(limit, *key)
    try:
        user = await authenticate_password(session, email, password)
    except Unauthorized:
        await limiter.fail(limit, *key)
        raise
    token = await tokens.issue_token(session, user, lifetime)
    return SignIn(user=user, token=token, lifetime=lifetime)


async def list_users(session: AsyncSession, organization_id: uuid.UUID) -> list[User]:
    """The organization's staff, by email."""
    statement = select(User).where(User.organization_id == organization_id).order_by(User.email)
    return list((await session.execute(statement)).scalars().all())


async def organization_user(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID
) -> User:
    """A user of this organization; one of another organization is as absent as none."""
    statement = select(User).where(User.id == user_id, User.organization_id == organization_id)
    user = (await session.execute(statement)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"No user {user_id} in your organization.")
    return user


async def update_user(
    session: AsyncSession,
    admin: User,
    user: User,
    role: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's role or active state; the organization always keeps an active admin."""
    if user.organization_id != admin.organization_id:
        raise NotFound(f"No user {user.id} in your organization.")
    new_role = role if role is not None else user.role
    new_active = is_active if is_active is not None else user.is_active
    if user.role == ADMIN and user.is_active and not (new_role == ADMIN and new_active):
        await _keep_an_admin(session, user)
    if role is not None:
        user.role = role
    if is_active is False and user.is_active:
        await _revoke_tokens(session, user.id)
    if is_active is not None:
        user.is_active = is_active
    await session.flush()
    return user


async def _keep_an_admin(session: AsyncSession, leaving: User) -> None:
    """409 unless another active admin remains in the organization."""
    # FOR UPDATE (PostgreSQL): two admins demoting each other at once cannot both succeed;
    # the second waits, then no longer counts the first. SQLite serializes writers anyway.
    statement = (
        select(User.id)
        .where(
            User.organization_id == leaving.organization_id,
            User.role == ADMIN,
            User.is_active.is_(True),
        )
        .with_for_update()
    )
    admins = set((await session.execute(statement)).scalars().all())
    if admins - {leaving.id}:
        return
    raise Conflict("This is the organization's last active admin; make another user admin first.")


async def _revoke_tokens(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Log a user out everywhere (re-activating them does not bring old tokens back)."""
    await session.execute(
        update(UserToken)
        .where(UserToken.user_id == user_id, UserToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def change_password(
    session: AsyncSession, user: User, current: str, new: str, keep_token: str | None
) -> None:
    """Change a user's own password: the current one must match; other sessions end.

    422 naming `current_password` or `new_password`; the session `keep_token` stays signed in.
    """
    errors = []
    if not await passwords.verify_password(current, user.password_hash):
        errors.append({"pointer": "#/current_password", "detail": "This is not your password."})
    if not passwords.MIN_PASSWORD_LENGTH <= len(new) <= passwords.MAX_PASSWORD_LENGTH:
        errors.append(
            {
                "pointer": "#/new_password",
                "detail": f"Use {passwords.MIN_PASSWORD_LENGTH} to "
                f"{passwords.MAX_PASSWORD_LENGTH} characters.",
            }
        )
    if errors:
        raise InvalidInput("The password was not changed.", errors=errors)
    user.password_hash = await passwords.hash_password(new)
    others = update(UserToken).where(UserToken.user_id == user.id, UserToken.revoked_at.is_(None))
    if keep_token is not None:
        others = others.where(UserToken.token_hash != hash_token(keep_token))
    await session.execute(others.values(revoked_at=utcnow()))
    await session.flush()
