"""Where a webhook may point: public addresses only, checked when it is sent, and pinned.

An admin's URL must not reach the service's own network (cloud metadata at 169.254.169.254,
a database on 10.0.0.5, this machine on 127.0.0.1). Every spelling of a host comes down to
the addresses it resolves to (`2130706433`, `0x7f000001` and `127.1` are all 127.0.0.1), so
the check is on those: refused if any is loopback, private, link-local, unique-local,
multicast, reserved or otherwise not global, IPv4 inside IPv6 included. `PinnedBackend`
resolves and checks at connect time and connects to the very address it checked, so a name
that resolves to a public address for the check and to an internal one a moment later (DNS
rebinding) gets nowhere; TLS still verifies the certificate for the URL's name (SNI and the
Host header come from the URL, not from the address).

Plain http and local addresses are allowed only in development, or with the explicit
`webhook_allow_local` setting (refused in production) so tests can run a local receiver.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from app.config import Settings
from app.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: host, port -> the addresses it resolves to (as strings). Tests inject their own.
Resolver = Callable[[str, int], Awaitable[list[str]]]

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: What the delivery log says about a refused target: the same whatever the reason, so the
#: log cannot be used to map an internal network.
REFUSED = "refused: the webhook address is not a public internet address"


class RefusedTarget(Exception):
    """The webhook's host is, or resolves to, an address Attune does not send to."""


def allows_local(settings: Settings) -> bool:
    """Whether http and local addresses are allowed: development, or the explicit setting."""
    return settings.environment == "development" or settings.webhook_allow_local


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet (an IPv4 inside IPv6 counts as itself)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)  # ::ffff:a.b.c.d is a.b.c.d itself
        embedded = address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for a host (any IPv4 spelling included)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(
    host: str, port: int, *, allow_local: bool, resolve: Resolver = system_resolver
) -> list[str]:
    """The addresses of a host if every one of them may be sent to; else RefusedTarget."""
    try:
        found = await resolve(host.strip("[]"), port)
    except OSError as error:
        raise RefusedTarget("the host does not resolve") from error
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    if not addresses:
        raise RefusedTarget("the host does not resolve")
    if not allow_local and not all(is_public(a) for a in addresses):
        # One internal address is enough to refuse: the connection could pick it.
        raise RefusedTarget("the host resolves to an address that is not public")
    return [str(a) for a in addresses]


async def check_url(url: str, settings: Settings, resolve: Resolver = system_resolver) -> str:
    """The URL if a webhook may point there, else 422 naming `url` (nothing is stored).

    A name that does not resolve yet is accepted (it is checked again at every send); one
    that resolves to an address that is not public is refused now.
    """
    url = url.strip()
    parts = urlsplit(url)
    local = allows_local(settings)
    scheme_ok = parts.scheme == "https" or (parts.scheme == "http" and local)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    if not parts.hostname or not scheme_ok or not port or parts.username or parts.password:
        only = "https (http only in development)" if not local else "https or http"
        raise _refused(f"A webhook must be an {only} URL with a host.", "use https://host/path")
    try:
        async with asyncio.timeout(settings.webhook_timeout_seconds):
            await checked_addresses(parts.hostname, port, allow_local=local, resolve=resolve)
    except RefusedTarget as error:
        if error.args[0] != "the host does not resolve" or _is_address(parts.hostname):
            raise _refused(
                "A webhook must point to a public internet address.", "not a public address"
            ) from error
    except TimeoutError:
        pass  # checked at send time
    return url


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _refused(title: str, detail: str) -> InvalidInput:
    return InvalidInput(title, errors=[{"pointer": "#/url", "detail": detail}])


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolve the host, check every address, and connect to a checked one (never re-resolve)."""

    def __init__(self, *, allow_local: bool, resolve: Resolver = system_resolver) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_local = allow_local
        self._resolve = resolve

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A connection to one of the host's checked addresses; RefusedTarget if none may be."""
        addresses = await checked_addresses(
            host, port, allow_local=self._allow_local, resolve=self._resolve
        )
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # addresses is never empty
        raise failure

    async def sleep(self, seconds: float) -> None:
        """As the default backend does."""
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connection pool on a `PinnedBackend`, and no proxy."""

    def __init__(
        self,
        backend: PinnedBackend,
        timeout_s: float,
        *,
        allow_http: bool,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(trust_env=False)
        self._allow_http = allow_http
        # httpx's transport takes no network backend, so its pool is replaced by one on
        # ours, with httpx's own TLS defaults; httpx still maps the pool's errors to its own.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls or httpx.create_ssl_context(),
            network_backend=backend,
            keepalive_expiry=timeout_s,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send over https only (http too where local targets are allowed)."""
        if request.url.scheme != "https" and not self._allow_http:
            raise RefusedTarget("plain http")
        return await super().handle_async_request(request)


def webhook_client(
    settings: Settings, resolve: Resolver = system_resolver, tls: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """The HTTP client webhooks are sent with: pinned, checked, no redirects, no proxies.

    `tls` replaces the default certificate store (tests trust their own authority with it).
    """
    local = allows_local(settings)
    backend = PinnedBackend(allow_local=local, resolve=resolve)
    return httpx.AsyncClient(
        transport=PinnedTransport(
            backend, settings.webhook_timeout_seconds, allow_http=local, tls=tls
        ),
        follow_redirects=False,
        trust_env=False,
    )
