"""Counting attempts: atomic reservations, released on success, shared through Redis.

Set ATTUNE_TEST_REDIS_URL (async+redis://127.0.0.1:6379, as CI does) for the Redis test;
without it that test skips, except in CI where it fails.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from app.errors import TooManyRequests
from app.ratelimit import Bucket, FailureLimiter, account_key, address_key

REDIS_URL = os.environ.get("ATTUNE_TEST_REDIS_URL")


async def _fail_until_refused(limiter: FailureLimiter, bucket: Bucket) -> int:
    failures = 0
    refused: TooManyRequests | None = None
    while refused is None and failures < 10:
        try:
            await limiter.reserve(bucket)  # kept: each one is a failure
            failures += 1
        except TooManyRequests as error:
            refused = error
    assert refused is not None, "never refused"
    assert 1 <= refused.retry_after <= 60
    return failures


async def test_memory_limits_count_per_key() -> None:
    limiter = FailureLimiter("async+memory://")
    assert await _fail_until_refused(limiter, Bucket("3/minute", ("test", "10.0.0.1"))) == 3
    await limiter.reserve(Bucket("3/minute", ("test", "10.0.0.2")))  # another key is not refused


async def test_released_attempts_do_not_count() -> None:
    limiter = FailureLimiter("async+memory://")
    bucket = Bucket("2/minute", ("test", "10.0.0.3"))
    for _ in range(5):
        await (await limiter.reserve(bucket)).release()
    assert await _fail_until_refused(limiter, bucket) == 2


async def test_concurrent_reservations_never_exceed_the_limit() -> None:
    limiter = FailureLimiter("async+memory://")
    bucket = Bucket("10/minute", ("test", "10.0.0.4"))
    outcomes = await asyncio.gather(
        *(limiter.reserve(bucket) for _ in range(40)), return_exceptions=True
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 10
    assert all(isinstance(o, TooManyRequests) for o in outcomes if isinstance(o, BaseException))


async def test_a_refusal_in_one_bucket_reserves_nothing_in_the_others() -> None:
    limiter = FailureLimiter("async+memory://")
    wide, narrow = Bucket("5/minute", ("wide", "x")), Bucket("1/minute", ("narrow", "x"))
    await limiter.reserve(narrow)
    for _ in range(3):
        with pytest.raises(TooManyRequests):
            await limiter.reserve(wide, narrow)
    assert await _fail_until_refused(limiter, wide) == 5  # none of the refused ones counted


def test_ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("192.0.2.1") == "192.0.2.1"


def test_accounts_are_counted_by_a_digest_of_the_normalized_email() -> None:
    assert account_key(" Sam@Clinic.Example ") == account_key("sam@clinic.example")
    assert "sam" not in account_key("sam@clinic.example")


async def test_workers_share_counts_through_redis() -> None:
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set ATTUNE_TEST_REDIS_URL")
        pytest.skip("needs ATTUNE_TEST_REDIS_URL")
    bucket = Bucket("3/minute", ("test", f"address-{uuid.uuid4()}"))
    one, two = FailureLimiter(REDIS_URL), FailureLimiter(REDIS_URL)
    try:
        for _ in range(3):
            await one.reserve(bucket)
        with pytest.raises(TooManyRequests):
            await two.reserve(bucket)
        shared = Bucket("10/minute", ("test", f"address-{uuid.uuid4()}"))
        outcomes = await asyncio.gather(
            *(limiter.reserve(shared) for limiter in [one, two] * 20), return_exceptions=True
        )
        assert sum(not isinstance(o, BaseException) for o in outcomes) == 10
    finally:
        one.close()
        two.close()
