"""Failure limits: counted per address, refused with Retry-After, shared through Redis.

Set ATTUNE_TEST_REDIS_URL (async+redis://127.0.0.1:6379, as CI does) for the Redis test;
without it that test skips, except in CI where it fails.
"""

from __future__ import annotations

import os
import uuid

import pytest

from app.errors import TooManyRequests
from app.ratelimit import FailureLimiter

REDIS_URL = os.environ.get("ATTUNE_TEST_REDIS_URL")


async def _fail_until_refused(limiter: FailureLimiter, key: str, limit: str = "3/minute") -> int:
    failures = 0
    while failures < 10:
        try:
            await limiter.check(limit, "test", key)
        except TooManyRequests as refused:
            retry_after = refused.retry_after
            break
        await limiter.fail(limit, "test", key)
        failures += 1
    assert 1 <= retry_after <= 60
    return failures


async def test_memory_limits_count_per_address() -> None:
    limiter = FailureLimiter("async+memory://")
    assert await _fail_until_refused(limiter, "10.0.0.1") == 3
    await limiter.check("3/minute", "test", "10.0.0.2")  # another address is not refused


async def test_workers_share_counts_through_redis() -> None:
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set ATTUNE_TEST_REDIS_URL")
        pytest.skip("needs ATTUNE_TEST_REDIS_URL")
    key = f"address-{uuid.uuid4()}"
    one, two = FailureLimiter(REDIS_URL), FailureLimiter(REDIS_URL)
    try:
        for _ in range(3):
            await one.fail("3/minute", "test", key)
        with pytest.raises(TooManyRequests):
            await two.check("3/minute", "test", key)
    finally:
        one.close()
        two.close()
