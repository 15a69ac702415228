"""`attune serve`'s own limits, over real TCP: which proxies are believed, and slow or huge
request headers (slowloris). The database does not matter here: SQLite only."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.servers import running_server

WRONG = {"username": "nobody@clinic.test", "password": "not the password"}
#: How long a test waits for the server to close a connection before calling it a failure.
GUARD_SECONDS = 20


@pytest.fixture
def server(sqlite_url: str) -> Iterator[str]:
    """The server with small limits: 3 wrong passwords, a 1 s header deadline, 2 KiB headers."""
    with running_server(
        sqlite_url,
        ATTUNE_LOGIN_FAILURES_LIMIT="3/minute",
        ATTUNE_HTTP_HEADER_TIMEOUT="1",
        ATTUNE_HTTP_MAX_HEADER_BYTES="2048",
    ) as base:
        yield base


def connect(base: str) -> socket.socket:
    """A raw TCP connection to the server."""
    address = urlsplit(base)
    connection = socket.create_connection((address.hostname, address.port))
    connection.settimeout(GUARD_SECONDS)
    return connection


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or the guard runs out)."""
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received


def test_x_forwarded_for_from_loopback_is_not_believed_by_default(server: str) -> None:
    with httpx.Client(base_url=server) as http:
        for hop in range(3):
            spoofed = {"X-Forwarded-For": f"192.0.2.{hop}"}
            assert http.post("/v1/auth/token", data=WRONG, headers=spoofed).status_code == 401
        refused = http.post("/v1/auth/token", data=WRONG, headers={"X-Forwarded-For": "192.0.2.9"})
    assert refused.status_code == 429


def test_a_trusted_proxy_is_believed(sqlite_url: str) -> None:
    with (
        running_server(
            sqlite_url, ATTUNE_LOGIN_FAILURES_LIMIT="3/minute", ATTUNE_TRUSTED_PROXIES="127.0.0.1"
        ) as base,
        httpx.Client(base_url=base) as http,
    ):
        for _ in range(3):
            forwarded = {"X-Forwarded-For": "192.0.2.1"}
            assert http.post("/v1/auth/token", data=WRONG, headers=forwarded).status_code == 401
        refused = http.post("/v1/auth/token", data=WRONG, headers={"X-Forwarded-For": "192.0.2.1"})
        other = http.post("/v1/auth/token", data=WRONG, headers={"X-Forwarded-For": "192.0.2.2"})
    assert (refused.status_code, other.status_code) == (429, 401)


def test_unfinished_headers_are_cut_off(server: str) -> None:
    silent, slow = connect(server), connect(server)
    try:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: attune.test\r\nX-Slow: a")
        # Neither ever finishes its headers: the server closes both, answering nothing.
        assert read_until_closed(silent) == b""
        assert read_until_closed(slow) == b""
    finally:
        silent.close()
        slow.close()
    assert httpx.get(f"{server}/healthz").status_code == 200


def test_the_deadline_applies_again_to_the_next_request_on_a_connection(server: str) -> None:
    connection = connect(server)
    try:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: attune.test\r\n\r\nGET /hea")
        received = read_until_closed(connection)
    finally:
        connection.close()
    assert received.startswith(b"HTTP/1.1 200 OK")
    assert received.count(b"HTTP/1.1") == 1


def test_headers_over_the_size_limit_get_431(server: str) -> None:
    connection = connect(server)
    try:
        connection.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: attune.test\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n"
        )
        received = read_until_closed(connection)
    finally:
        connection.close()
    assert received.startswith(b"HTTP/1.1 431 ")
    small = httpx.get(f"{server}/healthz", headers={"X-Small": "a" * 1000})
    assert small.status_code == 200
