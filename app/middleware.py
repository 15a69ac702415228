"""The request body size limit's answer: 413 as problem+json, for chunked bodies too.

FastAPI's own `max_body_size` (Starlette's RequestBodyLimitMiddleware) answers a body whose
Content-Length is over the limit with text/plain, before any exception handler can run; every
error of this API is problem+json, so the limit is enforced by the edge middleware
(`app/edge.py`) instead, which counts the bytes of chunked bodies as they arrive.
"""

from __future__ import annotations

import json

from app.errors import PROBLEM_JSON


def payload_too_large(max_bytes: int, path: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The 413 problem document for a body over `max_bytes`, and its headers."""
    body = json.dumps(
        {
            "type": "urn:attune:problem:payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"The request body is over the limit of {max_bytes} bytes.",
            "instance": path,
        }
    ).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    return body, headers
