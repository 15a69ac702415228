"""Staff passwords: argon2id hashes, computed off the event loop.

Hashing takes about 0.1 s of CPU on purpose, so it runs in a worker thread: a login must not
stall every other request of the process. Verifying an unknown email still verifies a dummy
hash, so a login takes as long whether or not the account exists (no email enumeration by
timing), as in fastapi/full-stack-fastapi-template's `DUMMY_HASH`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
# Argon2 digests any length, but a megabyte "password" would still be hashed in full.
MAX_PASSWORD_LENGTH = 1024

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile; a later release
# that raises them makes check_needs_rehash() true and logins upgrade the stored hashes.
_hasher = PasswordHasher()


@cache
def dummy_hash() -> str:
    """A hash of a random password, made once on first use (not at import: it costs 0.1 s)."""
    return _hasher.hash(secrets.token_urlsafe(32))


async def hash_password(password: str) -> str:
    """The argon2id hash of a password, computed in a worker thread."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether the password matches the hash; with no hash (no such user), spend the same time."""
    return await asyncio.to_thread(_verify, password, password_hash)


def _verify(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        return _verify_dummy(password)
    try:
        return _hasher.verify(password_hash, password)
    except VerificationError:
        return False
    except InvalidHashError:
        # An account whose hash is unusable (e.g. "!unusable") fails in the usual time too.
        return _verify_dummy(password)


def _verify_dummy(password: str) -> bool:
    with contextlib.suppress(VerificationError):
        _hasher.verify(dummy_hash(), password)
    return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with weaker parameters than today's (cheap: parses only)."""
    return _hasher.check_needs_rehash(password_hash)
