"""Security headers on every response, added where a route has not set its own.

Pure ASGI (no BaseHTTPMiddleware): one pass over the response headers per request, so it
costs next to nothing and never buffers a streamed body (research exports stream).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class SecurityHeaders:
    """Add the headers above unless the response already has them (the intake pages' CSP)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        # HSTS only when the operator says the service is reached over TLS; over plain HTTP
        # (development, or behind a terminating proxy that adds its own) it is wrong or noise.
        self.defaults = (*EVERYWHERE, HSTS) if hsts else EVERYWHERE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = self.defaults
        if scope["path"].startswith("/v1/"):
            defaults = (*defaults, *API)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in defaults if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
