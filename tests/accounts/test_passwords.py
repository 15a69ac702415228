"""argon2id hashing off the event loop, and the dummy hash for unknown accounts."""

from __future__ import annotations

import asyncio
import threading

import pytest
from argon2 import PasswordHasher

from app.accounts import passwords
from tests.accounts.hashers import CountingHasher, parameters


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


class GatedHasher(PasswordHasher):
    """The real hasher, held inside `hash` until the event loop lets it go."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.started = asyncio.Event()
        self.release = threading.Event()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.loop.call_soon_threadsafe(self.started.set)
        # Only the event loop sets `release`: were this running on the loop, nothing could,
        # and the wait would give up (a failure, not a way to synchronize).
        if not self.release.wait(timeout=30):
            raise AssertionError("the hash ran on the event loop, which it blocked")
        return super().hash(password, salt=salt)


async def test_hashing_does_not_block_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    gated = GatedHasher(asyncio.get_running_loop())
    monkeypatch.setattr(passwords, "_hasher", gated)
    hashing = asyncio.create_task(passwords.hash_password("correct horse battery"))
    # The loop runs this while the hash is under way in its worker thread.
    await gated.started.wait()
    assert not hashing.done()
    gated.release.set()
    assert await passwords.verify_password("correct horse battery", await hashing)


async def test_no_hash_costs_one_verification_at_todays_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = await passwords.hash_password("correct horse battery")
    counting = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", counting)
    for stored in (real, None, "!unusable"):
        counting.verified.clear()
        assert not await passwords.verify_password("a wrong password", stored)
        argon2 = [h for h in counting.verified if h.startswith("$argon2")]
        assert [parameters(h) for h in argon2] == [parameters(real)], stored
