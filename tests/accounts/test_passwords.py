"""argon2id hashing off the event loop, and the dummy hash for unknown accounts."""

from __future__ import annotations

import asyncio
import time

from argon2 import PasswordHasher

from app.accounts import passwords


async def test_hashes_are_argon2id_and_verify() -> None:
    hashed = await passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert await passwords.verify_password("correct horse battery", hashed)
    assert not await passwords.verify_password("correct horse batterz", hashed)
    assert not passwords.needs_rehash(hashed)


async def test_no_hash_and_an_unusable_hash_never_verify() -> None:
    assert not await passwords.verify_password("anything at all", None)
    assert not await passwords.verify_password("anything at all", "!unusable")


def test_the_dummy_hash_is_made_once_and_is_a_real_argon2id_hash() -> None:
    first = passwords.dummy_hash()
    assert first is passwords.dummy_hash()
    assert first.startswith("$argon2id$")
    assert not passwords.needs_rehash(first)


def test_weaker_parameters_need_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("x" * 12)
    assert passwords.needs_rehash(weak)


async def test_hashing_does_not_block_the_event_loop() -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await passwords.hash_password("correct horse battery")
    elapsed = time.perf_counter() - started
    ticker.cancel()
    # Had the hash run on the loop, the ticker could not have run while it was computed.
    assert ticks >= max(2, int(elapsed / 0.005) // 3), (ticks, elapsed)
