"""How `attune serve` runs uvicorn: its limits, and a deadline for reading request headers.

uvicorn bounds idle keep-alive connections (`timeout_keep_alive`) and concurrency
(`limit_concurrency`), but nothing bounds how long a client may take to send a request's
headers, nor (with httptools) how large they may grow: a slowloris client holds a connection
open forever by sending a header byte now and then. `HeaderDeadlineProtocol` is uvicorn's
httptools protocol plus both bounds: the request line and headers must arrive within
ATTUNE_HTTP_HEADER_TIMEOUT seconds of the connection opening (or of the previous response
ending) and within ATTUNE_HTTP_MAX_HEADER_BYTES, else the connection is closed (a 431 for
headers that are too large). Bodies are bounded by ATTUNE_MAX_BODY_BYTES in the app.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import Settings, get_settings

logger = logging.getLogger("attune.serving")

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 33\r\nconnection: close\r\n\r\n"
    b"The request headers are too large"
)


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header-read deadline and a header size cap."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_timeout = settings.http_header_timeout
        self.max_header_bytes = settings.http_max_header_bytes
        self._header_bytes = 0
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """A new connection: its first request's headers are due within the deadline."""
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Gone: nothing more to wait for."""
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        """A request starts: count its header bytes from zero, against the deadline."""
        super().on_message_begin()
        self._header_bytes = 0
        if self._header_deadline is None:
            self._arm()

    def on_url(self, url: bytes) -> None:
        """Part of the request line."""
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """One header."""
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """All headers are in: the body and the response are not this deadline's business."""
        self._disarm()
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes and not self.transport.is_closing():
            self._disarm()
            self.transport.write(_TOO_LARGE)
            self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _expired(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            logger.info("closed a connection that did not send its headers in time")
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn.run() options that come from settings: proxies, limits, the protocol."""
    proxies = settings.trusted_proxies
    return {
        "http": HeaderDeadlineProtocol,
        # X-Forwarded-For/-Proto are believed only from these (uvicorn's own default is
        # loopback, which would let anything on the host choose its client address).
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": ",".join(proxies),
        "timeout_keep_alive": settings.http_timeout_keep_alive,
        "limit_concurrency": settings.http_limit_concurrency,
        # Used only if uvicorn is switched to h11; the protocol above caps httptools itself.
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
    }
