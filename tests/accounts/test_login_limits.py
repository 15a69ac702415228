"""Sign-in limits over HTTP: atomic under concurrency, per account and per address (IPv6 /64),
spoof-proof X-Forwarded-For, and argon2 in a small pool of its own."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from fastapi import FastAPI

from app.accounts import passwords
from app.config import Settings
from tests.accounts.staff import PASSWORD, login, new_user
from tests.conftest import count

EMAIL = "admin@clinic.test"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Small limits: 3 per account at an address, 6 per address, 8 per account."""
    return Settings(
        database_url=database_url,
        environment="test",
        login_failures_limit="3/minute",
        login_address_failures_limit="6/minute",
        login_account_failures_limit="8/minute",
        password_hash_workers=1,
        password_hash_queue=40,
    )


def client_at(app: FastAPI, address: str, **headers: str) -> httpx.AsyncClient:
    """An HTTP client whose connection comes from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 4000))
    return httpx.AsyncClient(transport=transport, base_url="http://attune.test", headers=headers)


async def occupy(pool: passwords.HashPool, release: threading.Event) -> asyncio.Task[bool]:
    """Keep the pool's one thread busy until `release` is set; returns once it is busy."""
    loop = asyncio.get_running_loop()
    busy = asyncio.Event()

    def hold() -> bool:
        loop.call_soon_threadsafe(busy.set)
        return release.wait()

    blocker = asyncio.create_task(pool.run(hold))
    await busy.wait()
    return blocker


async def test_concurrent_wrong_passwords_cannot_exceed_the_limit(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_user(app, EMAIL)
    answers = await asyncio.gather(*(login(client, EMAIL, "not the password") for _ in range(40)))
    statuses = [answer.status_code for answer in answers]
    # Counted before verifying: only 3 were verified at all, however many raced.
    assert statuses.count(401) == 3, statuses
    assert statuses.count(429) == 37
    assert (await login(client, EMAIL, PASSWORD)).status_code == 429


async def test_other_peoples_failures_at_an_address_do_not_stop_a_right_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    organization_id = (await new_user(app, EMAIL))[1]
    await new_user(app, "colleague@clinic.test", organization_id=organization_id)
    for guess in range(5):  # more than the account limit, fewer than the address's
        assert (await login(client, f"typo{guess}@clinic.test", "wrong")).status_code == 401
    assert (await login(client, EMAIL, PASSWORD)).status_code == 200
    # Past the address's limit it looks like spraying: every account is paused here...
    assert (await login(client, "typo9@clinic.test", "wrong")).status_code == 401
    refused = await login(client, "colleague@clinic.test", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # ...and nowhere else.
    async with client_at(app, "198.51.100.4") as elsewhere:
        assert (await login(elsewhere, "colleague@clinic.test", PASSWORD)).status_code == 200


async def test_one_account_guessed_from_many_addresses_is_paused(app: FastAPI) -> None:
    await new_user(app, EMAIL)
    for network in range(4):  # 2 wrong guesses from each of 4 addresses: 8 for the account
        async with client_at(app, f"203.0.113.{network}") as guesser:
            for _ in range(2):
                assert (await login(guesser, EMAIL, "not the password")).status_code == 401
    async with client_at(app, "198.51.100.9") as owner:
        assert (await login(owner, EMAIL, PASSWORD)).status_code == 429
    assert await count(app, "user_tokens") == 0


async def test_an_ipv6_64_is_one_address(app: FastAPI) -> None:
    await new_user(app, EMAIL)
    for host in ("2001:db8:5:6::1", "2001:db8:5:6::2", "2001:db8:5:6:ffff::3"):
        async with client_at(app, host) as guesser:
            assert (await login(guesser, EMAIL, "not the password")).status_code == 401
    async with client_at(app, "2001:db8:5:6:abcd::4") as same_network:
        assert (await login(same_network, EMAIL, PASSWORD)).status_code == 429
    async with client_at(app, "2001:db8:5:7::1") as next_network:
        assert (await login(next_network, EMAIL, PASSWORD)).status_code == 200


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_user(app, EMAIL)
    for hop in range(3):
        spoofed = {"X-Forwarded-For": f"192.0.2.{hop}"}
        answer = await client.post(
            "/v1/auth/token",
            data={"username": EMAIL, "password": "not the password"},
            headers=spoofed,
        )
        assert answer.status_code == 401
    assert (await login(client, EMAIL, PASSWORD)).status_code == 429


async def test_a_trusted_proxy_names_the_client(app: FastAPI) -> None:
    app.state.settings = app.state.settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
    await new_user(app, EMAIL)
    for hop in range(3):  # the client as the proxy saw it; a spoofed hop in front is skipped
        forwarded = {"X-Forwarded-For": f"6.6.6.6, 192.0.2.{hop}"}
        async with client_at(app, "10.1.2.3", **forwarded) as proxied:
            assert (await login(proxied, EMAIL, "not the password")).status_code == 401
    async with client_at(app, "10.1.2.3", **{"X-Forwarded-For": "192.0.2.0"}) as proxied:
        assert (await login(proxied, EMAIL, PASSWORD)).status_code == 200


async def test_hashing_has_its_own_pool_and_never_takes_the_default_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    pool = passwords.hash_pool()
    assert pool.workers == 1
    release = threading.Event()
    blocker = await occupy(pool, release)
    logins = [
        asyncio.create_task(login(client, f"nobody{n}@clinic.test", "whatever it is"))
        for n in range(20)
    ]
    try:
        # 20 sign-ins wait for the one hashing thread; everything else still runs, the
        # default thread pool (DNS lookups, to_thread) included.
        loop = asyncio.get_running_loop()
        assert await asyncio.wait_for(loop.run_in_executor(None, lambda: 42), 30) == 42
        assert (await client.get("/v1/questionnaires")).status_code == 200
        # No sign-in could be verified while the hashing thread is busy (refusals can be).
        assert all(task.result().status_code == 429 for task in logins if task.done())
    finally:
        release.set()
    await blocker
    statuses = [answer.status_code for answer in await asyncio.gather(*logins)]
    assert (statuses.count(401), statuses.count(429)) == (6, 14)  # the address's limit


async def test_beyond_the_hashing_queue_a_sign_in_is_refused_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    pool = passwords.use_pool(passwords.HashPool(workers=1, queue=0))
    release = threading.Event()
    blocker = await occupy(pool, release)
    try:
        refused = await login(client, EMAIL, PASSWORD)
    finally:
        release.set()
    await blocker
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    await new_user(app, EMAIL)
    assert (await login(client, EMAIL, PASSWORD)).status_code == 200
