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
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound, Unauthorized
from app.ratelimit import Bucket, FailureLimiter, account_key, address_key
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
    # Only this organization's staff count: whether another organization has the email is
    # none of this admin's business, so the answer never depends on it.
    if await _user_by_email(session, email, organization_id) is not None:
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


def _check_new_user(password: str, role: str, pointer: str = "#/password") -> None:
    """The rules the API schema also states, for callers that bypass it (the CLI)."""
    errors = []
    if not passwords.MIN_PASSWORD_LENGTH <= len(password) <= passwords.MAX_PASSWORD_LENGTH:
        errors.append(
            {
                "pointer": pointer,
                "detail": f"Use {passwords.MIN_PASSWORD_LENGTH} to "
                f"{passwords.MAX_PASSWORD_LENGTH} characters.",
            }
        )
    if role not in ROLES:
        errors.append({"pointer": "#/role", "detail": f"One of: {', '.join(ROLES)}."})
    if errors:
        raise InvalidInput("The new user is invalid.", errors=errors)


async def _user_by_email(
    session: AsyncSession, email: str, organization_id: uuid.UUID
) -> User | None:
    statement = select(User).where(User.email == email, User.organization_id == organization_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def authenticate_password(session: AsyncSession, email: str, password: str) -> User:
    """The active user with this email and password, or 401 (the same 401 for every reason).

    An email may have an account in several organizations: the password is verified against
    each (all of them, so the time does not tell which matched), and the oldest account it
    opens is the one signed in. With none, a dummy hash is verified (app/accounts/passwords.py).
    """
    statement = (
        select(User).where(User.email == normalize_email(email)).order_by(User.created_at, User.id)
    )
    candidates: list[User | None] = list((await session.execute(statement)).scalars().all())
    user: User | None = None
    for candidate in candidates or [None]:
        matches = await passwords.verify_password(
            password, candidate.password_hash if candidate else None
        )
        if matches and candidate is not None and candidate.is_active and user is None:
            user = candidate
    if user is None:
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


@dataclass(frozen=True)
class LoginLimits:
    """Wrong passwords allowed per account and address, per address, and per account."""

    account_at_address: str
    address: str
    account: str

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        """The limits ATTUNE_LOGIN_*FAILURES_LIMIT set."""
        return cls(
            account_at_address=settings.login_failures_limit,
            address=settings.login_address_failures_limit,
            account=settings.login_account_failures_limit,
        )

    def buckets(self, address: str, email: str) -> list[Bucket]:
        """The three counts one attempt from `address` for `email` goes into."""
        where, who = address_key(address), account_key(email)
        return [
            Bucket(self.account_at_address, ("login", who, where)),
            Bucket(self.address, ("login-address", where)),
            Bucket(self.account, ("login-account", who)),
        ]


async def sign_in(
    session: AsyncSession,
    limiter: FailureLimiter,
    *,
    limits: LoginLimits,
    address: str,
    email: str,
    password: str,
    lifetime: timedelta,
) -> SignIn:
    """Staff sign-in, for the API and the console alike: limit, verify, issue a token.

    The attempt is counted *before* the password is verified (atomically, so concurrent
    guesses cannot all get through) and uncounted when it succeeds. It is counted for the
    account at this address (a typo-prone person locks only themself out, only here), for
    the address over all accounts (spraying) and for the account over all addresses
    (distributed guessing); the last two allow more, so other people's failures on a shared
    network do not stop a right password until they look like an attack.
    """
    reservation = await limiter.reserve(*limits.buckets(address, email))
    try:
        user = await authenticate_password(session, email, password)
    except Unauthorized:
        raise  # a failure: it stays counted
    except BaseException:
        await reservation.release()
        raise
    await reservation.release()
    token = await tokens.issue_token(session, user, lifetime)
    return SignIn(user=user, token=token, lifetime=lifetime)


async def change_password(
    session: AsyncSession,
    limiter: FailureLimiter,
    *,
    limits: LoginLimits,
    address: str,
    user: User,
    token: str,
    current: str,
    new: str,
) -> None:
    """A staff member's new password, given the current one; their other tokens stop working.

    A wrong current password counts as a failed sign-in, so a stolen token cannot be used to
    guess the password any faster than the sign-in form allows.
    """
    _check_new_user(new, user.role, pointer="#/new_password")
    reservation = await limiter.reserve(*limits.buckets(address, user.email))
    try:
        matches = await passwords.verify_password(current, user.password_hash)
    except BaseException:
        await reservation.release()
        raise
    if not matches:
        raise InvalidInput(
            "The current password is wrong.",
            errors=[{"pointer": "#/current_password", "detail": "This is not your password."}],
        )
    await reservation.release()
    user.password_hash = await passwords.hash_password(new)
    await session.execute(
        update(UserToken)
        .where(
            UserToken.user_id == user.id,
            UserToken.revoked_at.is_(None),
            UserToken.token_hash != hash_token(token),
        )
        .values(revoked_at=utcnow())
    )
    await session.flush()


async def update_preferences(
    session: AsyncSession,
    user: User,
    *,
    notify_on_flag: bool | None = None,
    locale: str | None = None,
) -> User:
    """A staff member's own preferences (a None leaves one as it is)."""
    if notify_on_flag is not None:
        user.notify_on_flag = notify_on_flag
    if locale is not None:
        user.locale = locale
    await session.flush()
    return user


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
