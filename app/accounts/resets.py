"""Use cases of "forgot password": ask for a link by email, check it, choose a new password.

A link is a random token, stored only as its SHA-256, that works once and for
ATTUNE_PASSWORD_RESET_MINUTES. Asking always gets the same answer, whether or not the email
has an account; the work is the same too (a token is made and a message sealed either way),
and the email itself is sent later by the outbox worker, so the answer's timing does not
depend on the mail server. An email with accounts in several organizations gets one message
per account, each naming its clinic and resetting only that account: the accounts have
separate passwords, so one link must not change them all. Choosing a new password logs the
account out everywhere and voids its other links.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import passwords
from app.accounts.models import Organization, PasswordReset, User, UserToken
from app.accounts.service import _check_new_user, normalize_email
from app.config import Settings
from app.errors import InvalidInput
from app.mail.messages import PasswordResetMessage
from app.outbox.channels.email import PURPOSE, enqueue_email
from app.ratelimit import Bucket, FailureLimiter, account_key, address_key
from app.sealing import seal
from app.security import hash_token, new_token

TOKEN_PREFIX = "atr"  # noqa: S105 (marks reset tokens; not a secret)
#: The one answer to every request, whether or not the email has an account.
REQUESTED = (
    "If this email belongs to a staff account, a link to choose a new password is on its way. "
    "It works once, for a limited time."
)
NOT_VALID = "This reset link is used, expired or not complete; ask for a new one."


class InvalidResetLink(InvalidInput):
    """The link is unknown, used or expired (422 naming the token)."""

    def __init__(self, known: bool) -> None:
        super().__init__(NOT_VALID, errors=[{"pointer": "#/token", "detail": NOT_VALID}])
        self.known = known  # a real link, spent (not a made-up or altered one)


@dataclass(frozen=True)
class ResetLimits:
    """Requests allowed per client address and per email."""

    address: str
    account: str

    @classmethod
    def from_settings(cls, settings: Settings) -> ResetLimits:
        """The limits ATTUNE_PASSWORD_RESET_*_LIMIT set."""
        return cls(
            address=settings.password_reset_address_limit,
            account=settings.password_reset_account_limit,
        )

    def buckets(self, address: str, email: str) -> list[Bucket]:
        """The two counts one request goes into (kept: every request counts)."""
        return [
            Bucket(self.address, ("reset-address", address_key(address))),
            Bucket(self.account, ("reset-account", account_key(email))),
        ]


def reset_url(settings: Settings, token: str) -> str:
    """The page a reset email links to."""
    return f"{settings.public_url.rstrip('/')}/reset/{token}"


async def request_reset(
    session: AsyncSession,
    limiter: FailureLimiter,
    settings: Settings,
    *,
    address: str,
    email: str,
    now: datetime,
    locale: str = "en",
) -> None:
    """Email every active account with this address a link; nothing tells whether any exists.

    Each message is in its account's language (`users.locale`) when it has one, else in
    `locale`, the language the staff member asked in (the reset page's).

    429 once the address or the email has used up its requests (counted before anything
    else, for an email with or without accounts alike).
    """
    await limiter.reserve(*ResetLimits.from_settings(settings).buckets(address, email))
    email = normalize_email(email)
    statement = (
        select(User, Organization)
        .join(Organization, Organization.id == User.organization_id)
        .where(User.email == email, User.is_active.is_(True))
        .order_by(User.created_at, User.id)
    )
    accounts: list[tuple[User, Organization] | None] = list(
        (await session.execute(statement)).all()
    )
    minutes = settings.password_reset_minutes
    for account in accounts or [None]:
        token = new_token(TOKEN_PREFIX)
        message = PasswordResetMessage(
            to=email,
            locale=(account[0].locale if account else None) or locale,
            clinic_name=account[1].name if account else "",
            link=reset_url(settings, token),
            minutes=minutes,
        )
        if account is None:
            # No account: the same token and sealing work, and nothing is stored or sent.
            hash_token(token)
            seal(
                settings.secret_key.get_secret_value(),
                PURPOSE,
                json.dumps(asdict(message)).encode(),
            )
            continue
        user = account[0]
        session.add(
            PasswordReset(
                token_hash=hash_token(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(minutes=minutes),
            )
        )
        await enqueue_email(
            session, settings, message, organization_id=user.organization_id, reference_id=user.id
        )
    await session.flush()


async def open_reset(
    session: AsyncSession, token: str, now: datetime
) -> tuple[PasswordReset, User]:
    """The live link of this token and its account, or `InvalidResetLink`."""
    statement = (
        select(PasswordReset, User)
        .join(User, User.id == PasswordReset.user_id)
        .where(PasswordReset.token_hash == hash_token(token))
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise InvalidResetLink(known=False)
    reset, user = row
    if reset.used_at is not None or reset.expires_at <= now or not user.is_active:
        raise InvalidResetLink(known=True)
    return reset, user


async def count_unknown_link(
    limiter: FailureLimiter, settings: Settings, address: str, error: InvalidResetLink
) -> None:
    """Count a made-up or altered link against the address (429 once it used them up)."""
    if not error.known:
        bucket = Bucket(settings.token_failures_limit, ("reset-token", address_key(address)))
        await limiter.reserve(bucket)


async def confirm_reset(
    session: AsyncSession, token: str, new_password: str, now: datetime
) -> User:
    """Set the new password through a live link; the link and every session stop working.

    The link is claimed with a conditional UPDATE, so of two uses at once exactly one wins.
    """
    reset, user = await open_reset(session, token, now)
    _check_new_user(new_password, user.role, pointer="#/new_password")
    claim = (
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    if (await session.execute(claim)).rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidResetLink(known=True)
    user.password_hash = await passwords.hash_password(new_password)
    await _void_other_links(session, user.id, now)
    await session.execute(
        update(UserToken)
        .where(UserToken.user_id == user.id, UserToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.flush()
    return user


async def _void_other_links(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
