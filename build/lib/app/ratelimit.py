"""Counting failed attempts per client address, with the `limits` library.

Only failures count (a wrong password, an unknown intake token): a person who gets it right
is never slowed down. Storage is in memory per process by default; set
ATTUNE_RATE_LIMIT_STORAGE to a Redis URI to share the counts across workers.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

import coredis
from fastapi import Depends, Request
from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from app.errors import TooManyRequests


class FailureLimiter:
    """Refuses an address that failed too often within a window."""

    def __init__(self, storage_uri: str) -> None:
        # With Redis we own the connection pool, so shutdown can close it (limits cannot).
        self._pool: coredis.ConnectionPool | None = None
        if storage_uri.startswith("async+redis://"):
            self._pool = coredis.ConnectionPool.from_url(storage_uri.removeprefix("async+"))
            storage = storage_from_string(storage_uri, connection_pool=self._pool)  # type: ignore[arg-type]
        else:
            storage = storage_from_string(storage_uri)
        self._limiter = MovingWindowRateLimiter(storage)

    def close(self) -> None:
        """Close the Redis connections, if any."""
        if self._pool is not None:
            self._pool.disconnect()

    async def check(self, limit: str, *key: str) -> None:
        """429 with Retry-After if the address has used up its failures."""
        item = parse(limit)
        if not await self._limiter.test(item, *key):
            stats = await self._limiter.get_window_stats(item, *key)
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise TooManyRequests(
                "Too many failed attempts from your address; please wait and try again.",
                retry_after=retry_after,
            )

    async def fail(self, limit: str, *key: str) -> None:
        """Count one failed attempt."""
        await self._limiter.hit(parse(limit), *key)


def client_address(request: Request) -> str:
    """The caller's address (uvicorn resolves X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else "unknown"


async def get_limiter(request: Request) -> FailureLimiter:
    """The process's limiter, built at start-up."""
    limiter: FailureLimiter = request.app.state.limiter
    return limiter


Limiter = Annotated[FailureLimiter, Depends(get_limiter)]
