"""Webhook targets: no internal address in any spelling, at registration and at every send."""

from __future__ import annotations

import ipaddress
import ssl
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select, update

from app.accounts.models import Organization
from app.clinic.targets import REFUSED, is_public, webhook_client
from app.clinic.webhooks import enqueue_event
from app.config import Settings
from app.main import create_app
from app.outbox.models import OutboxAttempt
from app.security import new_token
from tests.clinic.conftest import Receiver, receiver_handler, send_webhooks
from tests.clinic.test_webhooks import intake_payload, register
from tests.conftest import clear_rows, new_staff, snapshot

#: Every spelling the security review used, and more: each is (or resolves to) an address
#: that is not on the public internet.
INTERNAL_HOSTS = [
    "169.254.169.254",  # cloud metadata
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "127.0.0.1",
    "127.1",  # short form
    "2130706433",  # decimal
    "0x7f000001",  # hexadecimal
    "017700000001",  # octal
    "0.0.0.0",  # noqa: S104 (a target to refuse, not a bind)
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "localhost",  # a name that resolves to loopback
    "[::1]",
    "[fd00::1]",  # unique-local
    "[fe80::1]",  # link-local
    "[ff02::1]",  # multicast
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:169.254.169.254]",
    "[64:ff9b::a00:5]",  # NAT64 of 10.0.0.5
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
]


@pytest.fixture
async def strict_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app as production runs it: no http, no local targets."""
    application = create_app(settings.model_copy(update={"webhook_allow_local": False}))
    async with application.router.lifespan_context(application):
        yield application
        await clear_rows(application.state.engine)


@pytest.fixture
async def strict(strict_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the strict app."""
    transport = httpx.ASGITransport(app=strict_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
        yield http


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
async def test_registering_an_internal_address_is_refused_and_changes_nothing(
    strict_app: FastAPI, strict: httpx.AsyncClient, host: str
) -> None:
    admin, _, _ = await new_staff(strict_app, "admin")
    before = await snapshot(strict_app)

    response = await strict.put(
        "/v1/organization/webhook", json={"url": f"https://{host}/hook"}, headers=admin
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["pointer"] == "#/url"
    assert await snapshot(strict_app) == before


async def test_outside_development_plain_http_is_refused_and_public_https_accepted(
    strict_app: FastAPI, strict: httpx.AsyncClient
) -> None:
    admin, _, _ = await new_staff(strict_app, "admin")
    for url in ("http://clinic.example/hook", "http://93.184.215.14/hook"):
        response = await strict.put("/v1/organization/webhook", json={"url": url}, headers=admin)
        assert response.status_code == 422, url
        assert response.json()["errors"][0]["pointer"] == "#/url"
    for url in ("https://93.184.215.14/hook", "https://hooks.clinic.example/attune"):
        response = await strict.put("/v1/organization/webhook", json={"url": url}, headers=admin)
        assert response.status_code == 200, response.text


async def _store_target(app: FastAPI, organization_id: uuid.UUID, url: str) -> None:
    """A webhook URL as stored before registration checked it (or as DNS changed since)."""
    from app.clinic.encryption import encrypt_secret

    secret = encrypt_secret(app.state.settings.secret_key.get_secret_value(), "whsec_x")
    async with app.state.sessionmaker.begin() as session:
        await session.execute(
            update(Organization)
            .where(Organization.id == organization_id)
            .values(webhook_url=url, webhook_secret=secret)
        )
        await enqueue_event(session, organization_id, "intake.completed", intake_payload())


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
async def test_sending_to_an_internal_address_is_refused_with_a_generic_reason(
    strict_app: FastAPI, strict: httpx.AsyncClient, receiver: Receiver, host: str
) -> None:
    """Each spelling, pointed at a live receiver on this machine's port: nothing reaches it."""
    admin, _, org = await new_staff(strict_app, "admin")
    port = urlsplit(receiver.url).port
    await _store_target(strict_app, org, f"https://{host}:{port}/attune")

    async with webhook_client(strict_app.state.settings) as http:
        assert await send_webhooks(strict_app, http)

    assert receiver.received == []
    listed = await strict.get("/v1/organization/webhook/deliveries", headers=admin)
    (delivery,) = listed.json()["items"]
    assert [t["error"] for t in delivery["tries"]] == [REFUSED]
    assert [t["status_code"] for t in delivery["tries"]] == [None]


async def test_plain_http_to_a_local_receiver_is_refused_at_send_time(
    strict_app: FastAPI, receiver: Receiver
) -> None:
    """The old rule let http to this machine through in production: now nothing is sent."""
    _, _, org = await new_staff(strict_app, "admin")
    await _store_target(strict_app, org, receiver.url)

    async with webhook_client(strict_app.state.settings) as http:
        await send_webhooks(strict_app, http)

    assert receiver.received == []
    async with strict_app.state.sessionmaker() as session:
        attempt = (await session.execute(select(OutboxAttempt))).scalar_one()
    assert attempt.error == REFUSED


async def test_a_name_that_now_resolves_inside_is_refused_when_sent(
    strict_app: FastAPI, strict: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Accepted while the name did not resolve; refused once it points to this machine."""
    admin, _, org = await new_staff(strict_app, "admin")
    port = urlsplit(receiver.url).port
    url = f"https://rebind.clinic.example:{port}/attune"
    await register(strict, admin, url)
    async with strict_app.state.sessionmaker.begin() as session:
        await enqueue_event(session, org, "intake.completed", intake_payload())

    async def rebound(host: str, port: int) -> list[str]:
        return ["203.0.113.9", "127.0.0.1"] if host == "rebind.clinic.example" else []

    async with webhook_client(strict_app.state.settings, resolve=rebound) as http:
        await send_webhooks(strict_app, http)

    assert receiver.received == []
    listed = await strict.get("/v1/organization/webhook/deliveries", headers=admin)
    assert listed.json()["items"][0]["tries"][0]["error"] == REFUSED
    assert "127.0.0.1" not in listed.text


async def test_the_connection_goes_to_the_checked_address_under_the_urls_name(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Resolved once, connected to that address; the Host header still names the URL's host."""
    admin, _, org = await new_staff(app, "admin")
    port = urlsplit(receiver.url).port
    receiver.secret = await register(client, admin, f"http://hooks.clinic.example:{port}/a")
    async with app.state.sessionmaker.begin() as session:
        await enqueue_event(session, org, "intake.completed", intake_payload())
    lookups: list[str] = []

    async def pinned(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    async with webhook_client(app.state.settings, resolve=pinned) as http:
        await send_webhooks(app, http)

    assert lookups == ["hooks.clinic.example"]
    (received,) = receiver.received
    assert received["headers"]["Host"] == f"hooks.clinic.example:{port}"
    listed = await client.get("/v1/organization/webhook/deliveries", headers=admin)
    assert listed.json()["items"][0]["status"] == "delivered"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("8.8.8.8", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("198.18.0.1", False),  # benchmarking
        ("192.0.2.1", False),  # documentation
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("fc00::1", False),
        ("fe80::1", False),
        ("ff0e::1", False),
        ("::ffff:10.0.0.5", False),
        ("64:ff9b::7f00:1", False),
        ("2002:a00:5::", False),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo
        ("2001:db8::1", False),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_local_targets_cannot_be_allowed_in_production() -> None:
    key = new_token("k") * 2
    with pytest.raises(ValidationError, match="WEBHOOK_ALLOW_LOCAL"):
        Settings(environment="production", secret_key=key, webhook_allow_local=True)
    assert Settings(environment="test", secret_key=key, webhook_allow_local=True)


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path, str]:
    """A self-signed certificate for `name`: (cert file, key file, PEM to trust)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file, pem.decode()


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[Receiver, str]]:
    """A receiver on 127.0.0.1 over TLS with a certificate for hooks.clinic.example."""
    cert_file, key_file, pem = _certificate(tmp_path, "hooks.clinic.example")
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver_handler(state))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.url = f"https://hooks.clinic.example:{server.server_address[1]}/attune"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, pem
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("trusted_name", ["hooks.clinic.example", "other.clinic.example"])
async def test_tls_verifies_the_urls_name_while_connecting_to_the_checked_address(
    app: FastAPI,
    client: httpx.AsyncClient,
    tls_receiver: tuple[Receiver, str],
    tmp_path: Path,
    trusted_name: str,
) -> None:
    """SNI and the certificate check use the URL's name, not the pinned address."""
    receiver, pem = tls_receiver
    if trusted_name != "hooks.clinic.example":
        pem = _certificate(tmp_path, trusted_name)[2]  # trust a certificate of another name
    admin, _, org = await new_staff(app, "admin")
    receiver.secret = await register(client, admin, receiver.url)
    async with app.state.sessionmaker.begin() as session:
        await enqueue_event(session, org, "intake.completed", intake_payload())

    async def pinned(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    tls = ssl.create_default_context(cadata=pem)
    async with webhook_client(app.state.settings, resolve=pinned, tls=tls) as http:
        await send_webhooks(app, http)

    listed = await client.get("/v1/organization/webhook/deliveries", headers=admin)
    (delivery,) = listed.json()["items"]
    if trusted_name == "hooks.clinic.example":
        assert delivery["status"] == "delivered"
        assert len(receiver.received) == 1
    else:
        assert receiver.received == []
        assert delivery["tries"][0]["error"] == "ConnectError"
