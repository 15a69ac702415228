"""Counting attempts per client address and per account, with the `limits` library's storage.

An attempt is *reserved* before the work it guards (verifying a password): the reservation is
one atomic increment per bucket, so concurrent attempts cannot all slip under the limit. A
successful attempt gives its reservation back; a failure keeps it. Counts are fixed windows
that start at a bucket's first attempt.

Storage is in memory per process by default; ATTUNE_RATE_LIMIT_STORAGE set to a Redis URI
shares the counts across workers. When that Redis cannot be reached, nothing that needs a
count is let through unchecked: the caller gets 503 with Retry-After (`LimiterUnavailable`),
a warning is logged once per outage, and /readyz answers 503 until Redis is back.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import coredis
from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.errors import StorageError
from limits.storage import storage_from_string

from app.errors import ServiceUnavailable, TooManyRequests

logger = logging.getLogger("attune.ratelimit")

#: IPv6 addresses are counted per /64: one subscriber or site usually holds a whole /64.
IPV6_PREFIX = 64
#: What a caller is told to wait while the counting storage is unreachable.
UNAVAILABLE_RETRY_AFTER = 30


class LimiterUnavailable(ServiceUnavailable):
    """The storage that counts attempts cannot be reached: try again shortly (503)."""

    def __init__(self) -> None:
        super().__init__(
            "This is briefly unavailable (attempts cannot be counted right now); "
            "please try again in a moment.",
            retry_after=UNAVAILABLE_RETRY_AFTER,
        )


@dataclass(frozen=True)
class Bucket:
    """One limit applied to one key, e.g. 10/15 minutes for ("login-address", "192.0.2.1")."""

    limit: str
    key: tuple[str, ...]

    @property
    def item(self) -> RateLimitItem:
        """The parsed limit."""
        return parse(self.limit)


@dataclass
class Reservation:
    """Attempts counted in some buckets; `release()` gives them back (the attempt succeeded)."""

    limiter: FailureLimiter
    buckets: list[Bucket] = field(default_factory=list)

    async def release(self) -> None:
        """Uncount this attempt: only failures are meant to stay counted."""
        for bucket in self.buckets:
            await self.limiter.add(bucket, -1)
        self.buckets = []


class FailureLimiter:
    """Counts attempts in buckets and refuses (429) those over a bucket's limit."""

    def __init__(self, storage_uri: str, key_prefix: str = "attune") -> None:
        # With Redis we own the connection pool, so shutdown can close it (limits cannot).
        self._pool: coredis.ConnectionPool | None = None
        options: dict[str, Any] = {"wrap_exceptions": True}
        if storage_uri.startswith("async+redis://"):
            self._pool = coredis.ConnectionPool.from_url(storage_uri.removeprefix("async+"))
            options |= {"connection_pool": self._pool, "key_prefix": key_prefix}
        storage = storage_from_string(storage_uri, **options)
        assert isinstance(storage, Storage)
        self._storage = storage
        self._unreachable = False

    def close(self) -> None:
        """Close the Redis connections, if any."""
        if self._pool is not None:
            self._pool.disconnect()

    async def reserve(self, *buckets: Bucket) -> Reservation:
        """Count one attempt in every bucket, or none and 429 if any is used up."""
        reservation = Reservation(self)
        for bucket in buckets:
            count = await self.add(bucket, 1)
            if count > bucket.item.amount:
                await self.add(bucket, -1)
                await reservation.release()
                raise TooManyRequests(
                    "Too many failed attempts; please wait and try again.",
                    retry_after=await self._seconds_left(bucket),
                )
            reservation.buckets.append(bucket)
        return reservation

    async def add(self, bucket: Bucket, amount: int) -> int:
        """Add to a bucket's count (atomic in the storage); its new value."""
        item = bucket.item
        key = item.key_for(*bucket.key)
        count = int(await self._call(self._storage.incr(key, item.get_expiry(), amount=amount)))
        if count < 0:  # the window ended between reserving and releasing: start from zero
            count = int(await self._call(self._storage.incr(key, item.get_expiry(), -count)))
        return count

    async def healthy(self) -> bool:
        """Whether the storage answers (always, in memory)."""
        try:
            # limits' check() answers False for an unreachable Redis instead of raising.
            if await self._call(self._storage.check()):
                return True
        except LimiterUnavailable:
            return False
        self._went_down("PING failed")
        return False

    async def _seconds_left(self, bucket: Bucket) -> int:
        reset = await self._call(self._storage.get_expiry(bucket.item.key_for(*bucket.key)))
        return max(1, math.ceil(float(reset) - time.time()))

    async def _call(self, operation: Any) -> Any:
        try:
            value = await operation
        except (StorageError, OSError, coredis.exceptions.RedisError) as error:
            self._went_down(type(error).__name__)
            raise LimiterUnavailable() from error
        if self._unreachable:
            logger.warning("rate-limit storage reachable again")
            self._unreachable = False
        return value

    def _went_down(self, reason: str) -> None:
        if not self._unreachable:
            logger.warning("rate-limit storage unreachable (%s): answering 503", reason)
            self._unreachable = True


def client_address(request: Request) -> str:
    """The caller's address: the peer, or what a trusted proxy says in X-Forwarded-For.

    `attune serve` has uvicorn resolve the header from ATTUNE_TRUSTED_PROXIES already; this
    does the same for any other server (and is a no-op after uvicorn), so a client can never
    choose its own address by sending the header to an untrusted hop.
    """
    peer = request.client.host if request.client else "unknown"
    trusted = request.app.state.settings.trusted_networks
    forwarded = request.headers.get("x-forwarded-for")
    if not forwarded or not _is_in(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_in(hop, trusted):
            return hop
    return hops[0] if hops else peer


def address_key(address: str) -> str:
    """What an address is counted under: itself (IPv4), its /64 (IPv6), as sent otherwise."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


def account_key(email: str) -> str:
    """An account as counted: a digest of the normalized email (no emails in Redis)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _is_in(address: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


async def get_limiter(request: Request) -> FailureLimiter:
    """The process's limiter, built at start-up."""
    limiter: FailureLimiter = request.app.state.limiter
    return limiter


Limiter = Annotated[FailureLimiter, Depends(get_limiter)]
