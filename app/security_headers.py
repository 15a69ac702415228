"""Security headers on every response, added where a route has not set its own.

Added by the edge middleware (`app/edge.py`) in its single pass over the response headers,
so they cost next to nothing and never buffer a streamed body (research exports stream).
"""

from __future__ import annotations

Header = tuple[bytes, bytes]

HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
EVERYWHERE = (
    (b"x-content-type-options", b"nosniff"),
    # Intake links carry their token in the address: no page may send it on as a Referer.
    (b"referrer-policy", b"no-referrer"),
)
# Defaults for the JSON API only. Answers and results are personal: no shared or browser
# cache may keep them unless the route says so (public questionnaires do). An API response
# is never a page, so it may load nothing and be framed by nobody.
API = (
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)


def api_defaults(hsts: bool) -> tuple[tuple[Header, ...], tuple[Header, ...]]:
    """The defaults of every response, and those of a response under /v1/.

    HSTS only when the operator says the service is reached over TLS; over plain HTTP
    (development, or behind a terminating proxy that adds its own) it is wrong or noise.
    """
    everywhere = (*EVERYWHERE, HSTS) if hsts else EVERYWHERE
    return everywhere, (*everywhere, *API)
