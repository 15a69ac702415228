"""Staff passwords: argon2id hashes, computed off the event loop in a small pool of their own.

Hashing takes about 0.1 s of CPU and 64 MiB on purpose, so it runs in `HashPool`, a few
threads of its own (ATTUNE_PASSWORD_HASH_WORKERS): a flood of sign-ins can use those threads
and that memory, never the default thread pool that DNS lookups and other work share, and at
most ATTUNE_PASSWORD_HASH_QUEUE more wait their turn; beyond that a sign-in gets 429 at once.
Verifying an unknown email still verifies a dummy hash, so a login takes as long whether or
not the account exists (no email enumeration by timing), as in
fastapi/full-stack-fastapi-template's `DUMMY_HASH`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import TooManyRequests

T = TypeVar("T")

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


class HashPool:
    """A few threads for argon2 only, and a bounded number of callers waiting for them."""

    def __init__(self, workers: int = 2, queue: int = 32) -> None:
        self.workers = workers
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._admitted = asyncio.BoundedSemaphore(workers + queue)

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)` on a hashing thread; 429 when the threads and queue are full."""
        if self._admitted.locked():
            raise TooManyRequests("Too many sign-ins at once; please try again.", retry_after=1)
        async with self._admitted:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.executor, function, *args)

    def close(self) -> None:
        """Stop the threads once the work they have is done."""
        self.executor.shutdown(wait=False)


_pool: HashPool | None = None


def hash_pool() -> HashPool:
    """The process's hashing pool (made with the defaults unless `use_pool` set one)."""
    global _pool
    if _pool is None:
        _pool = HashPool()
    return _pool


def use_pool(pool: HashPool) -> HashPool:
    """Make `pool` the one hashing goes through (the app does at start-up); the old one closes."""
    global _pool
    if _pool is not None and _pool is not pool:
        _pool.close()
    _pool = pool
    return pool


async def hash_password(password: str) -> str:
    """The argon2id hash of a password, computed on a hashing thread."""
    return await hash_pool().run(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether the password matches the hash; with no hash (no such user), spend the same time."""
    return await hash_pool().run(_verify, password, password_hash)


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
