"""The one middleware every request passes: id, access line, security headers, body limit.

It does in one pure-ASGI layer what used to be three (`RequestLog`, `SecurityHeaders`,
`BodySizeLimit`): one pass over the request headers, one wrapped `send`, one `receive`
wrapper only when there is a body to count. Each layer cost a closure, a headers copy and a
message copy per request, which on a cached read was more than the read itself (`make bench`).

It also answers repeats of immutable public documents without entering the router: a route
marks its 200 answer as replayable (`replayable`), and the exact headers and body that left
here are kept under the request's (path, query string, Accept-Language) — everything such a
route's answer depends on — and sent again for the next identical GET, with the same
conditional `If-None-Match` handling. Only bodiless GETs without an Origin (whose CORS
headers depend on it) are replayed or kept; anything else goes the normal way. See
docs/design.md, "The hot path".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import log_access, new_request_id, request_id_var, route_template, well_formed
from app.middleware import payload_too_large
from app.security_headers import api_defaults

#: Scope key a route sets to the ETag of an answer that may be replayed (see the docstring).
REPLAYABLE = "attune.replayable_etag"
#: At most this many answers are kept: keys include a client-chosen header, so they are bounded.
MAX_REPLAYS = 512

_WITHOUT_BODY = frozenset({b"content-length", b"content-type"})


def replayable(scope: Scope, etag: str) -> None:
    """Let the edge keep this 200 answer and send it again for the same request.

    Only for answers that depend on nothing but the path, the query string and
    Accept-Language, and never change while the process runs (a definition's rendering).
    """
    scope[REPLAYABLE] = etag


@dataclass(frozen=True)
class Replay:
    """A kept answer: its 200 and 304 headers as sent (less X-Request-ID), body and route."""

    etag: str
    headers: list[tuple[bytes, bytes]]
    not_modified: list[tuple[bytes, bytes]]
    body: bytes
    route: str


class Edge:
    """Request ids, the access line and metrics, security headers, the body limit, replays."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, hsts: bool = False) -> None:
        self.app = app
        self.max_bytes = max_body_bytes
        self.everywhere, self.api = api_defaults(hsts)
        self.replays: dict[tuple[str, bytes, bytes], Replay] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = declared = None
        chunked = False
        accept_language = b""
        if_none_match: bytes | None = None
        seen_language = cross_origin = False
        # One pass over the headers. Repeated headers: the first X-Request-ID, Accept-Language
        # and If-None-Match count (as Starlette's `headers.get`), the last Content-Length.
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"accept-language":
                if not seen_language:
                    accept_language, seen_language = value, True
            elif name == b"x-request-id":
                if request_id is None:
                    request_id = value
            elif name == b"if-none-match" and if_none_match is None:
                if_none_match = value
            elif name == b"origin":
                cross_origin = True  # CORS headers depend on it: never replayed, never kept
        rid = well_formed(request_id) or new_request_id()
        token = request_id_var.set(rid)
        rid_header = (b"x-request-id", rid.encode())
        has_body = declared is not None or chunked
        replay_ok = not has_body and not cross_origin
        if replay_ok and scope["method"] == "GET":
            replay = self.replays.get((scope["path"], scope["query_string"], accept_language))
            if replay is not None:
                status = await _send_replay(replay, if_none_match, rid_header, send)
                log_access(replay.route, "GET", status, started)
                request_id_var.reset(token)
                return
        defaults = self.api if scope["path"].startswith("/v1/") else self.everywhere
        status = 500  # what the client gets if the app fails before it starts a response
        rejected = False
        keep: list[tuple[bytes, bytes]] | None = None

        async def edge_send(message: Message) -> None:
            nonlocal status, keep
            if rejected:
                return  # the 413 went out; whatever the app still sends is dropped
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in defaults if item[0] not in present)
                if status == 200 and replay_ok and REPLAYABLE in scope:
                    keep = headers[:]
                headers.append(rid_header)
                message = {**message, "headers": headers}
            elif keep is not None and message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    self._keep(scope, accept_language, keep, message.get("body", b""))
                keep = None  # a streamed body is never kept
            await send(message)

        app_receive = receive
        if has_body:
            if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                await self._reject(scope, edge_send)
                log_access(route_template(scope), scope.get("method", ""), 413, started)
                request_id_var.reset(token)
                return
            received = 0

            async def counting_receive() -> Message:
                # Over the limit: answer 413 now, and tell the app the client went away, so it
                # stops reading; whatever it then tries to send is dropped.
                nonlocal received, rejected
                if rejected:
                    return {"type": "http.disconnect"}
                message = await receive()
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    await self._reject(scope, edge_send)
                    rejected = True
                    return {"type": "http.disconnect"}
                return message

            app_receive = counting_receive
        try:
            await self.app(scope, app_receive, edge_send)
        except BaseException:
            # The id stays set: the catch-all 500 handler and the server's own error line run
            # after this middleware, outside it, and must name the request too. The server
            # runs each request in a task of its own, so the id ends with that task.
            log_access(route_template(scope), scope.get("method", ""), status, started)
            raise
        log_access(route_template(scope), scope.get("method", ""), status, started)
        request_id_var.reset(token)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body, headers = payload_too_large(self.max_bytes, scope.get("path", ""))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _keep(
        self,
        scope: Scope,
        accept_language: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        route = route_template(scope)
        if route is None or len(self.replays) >= MAX_REPLAYS:
            return
        self.replays[(scope["path"], scope["query_string"], accept_language)] = Replay(
            etag=scope[REPLAYABLE],
            headers=headers,
            # What the route sends for 304: the same headers less the body's.
            not_modified=[item for item in headers if item[0] not in _WITHOUT_BODY],
            body=body,
            route=route,
        )


async def _send_replay(
    replay: Replay, if_none_match: bytes | None, rid_header: tuple[bytes, bytes], send: Send
) -> int:
    """Send a kept answer (304 when If-None-Match names its ETag); the status sent."""
    if if_none_match is not None and replay.etag in [
        tag.strip() for tag in if_none_match.decode("latin-1").split(",")
    ]:
        headers, body, status = replay.not_modified, b"", 304
    else:
        headers, body, status = replay.headers, replay.body, 200
    await send({"type": "http.response.start", "status": status, "headers": [*headers, rid_header]})
    await send({"type": "http.response.body", "body": body})
    return status
