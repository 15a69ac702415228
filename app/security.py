"""Opaque bearer tokens: 256 bits of randomness, shown once, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.errors import Unauthorized

TOKEN_BYTES = 32

_bearer = HTTPBearer(
    auto_error=False,
    description="The token returned once by POST /v1/respondents.",
)


def new_token(prefix: str) -> str:
    """A fresh token; the prefix tells a reader (and secret scanners) what kind it is."""
    return f"{prefix}_{secrets.token_urlsafe(TOKEN_BYTES)}"


def hash_token(token: str) -> str:
    """What is stored: SHA-256 is enough for 256-bit random tokens (no guessing to slow)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token of the request, or 401."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("This needs a bearer token: Authorization: Bearer <token>.")
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]
