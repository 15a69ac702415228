"""Opaque bearer tokens: 256 bits of randomness, shown once, stored only as SHA-256.

Three kinds, told apart by their prefix and published as three OpenAPI security schemes
(the same `Authorization: Bearer` header): a respondent's (`atr_`), a staff member's (`ats_`)
and an intake link's (`ati_`). Which routes take which is decided by the dependencies that
authenticate them (`app/respondents/dependencies.py`, `app/accounts/dependencies.py`).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.errors import Unauthorized

TOKEN_BYTES = 32

_respondent = HTTPBearer(
    scheme_name="RespondentToken",
    bearerFormat="atr_…",
    description="An app install's token (`atr_…`), returned once by `POST /v1/respondents`.",
    auto_error=False,
)
_staff = HTTPBearer(
    scheme_name="StaffToken",
    bearerFormat="ats_…",
    description="A staff member's login token (`ats_…`), from `POST /v1/auth/token`; it "
    "expires after `ATTUNE_STAFF_TOKEN_HOURS` and ends at `POST /v1/auth/logout`.",
    auto_error=False,
)
_intake = HTTPBearer(
    scheme_name="IntakeToken",
    bearerFormat="ati_…",
    description="The token of a therapist's intake link (`ati_…`, the last part of its URL): "
    "it answers that invitation's questionnaires only, until the link is used, expires or "
    "is revoked.",
    auto_error=False,
)

Credentials = HTTPAuthorizationCredentials | None


def new_token(prefix: str) -> str:
    """A fresh token; the prefix tells a reader (and secret scanners) what kind it is."""
    return f"{prefix}_{secrets.token_urlsafe(TOKEN_BYTES)}"


def hash_token(token: str) -> str:
    """What is stored: SHA-256 is enough for 256-bit random tokens (no guessing to slow)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _token_of(credentials: Credentials) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("This needs a bearer token: Authorization: Bearer <token>.")
    return credentials.credentials


async def respondent_token(
    credentials: Annotated[Credentials, Depends(_respondent)],
    _as_intake: Annotated[Credentials, Depends(_intake)],
) -> str:
    """The bearer token of a respondent's request (or an intake link's), or 401."""
    return _token_of(credentials)


async def staff_token(credentials: Annotated[Credentials, Depends(_staff)]) -> str:
    """The bearer token of a staff member's request, or 401."""
    return _token_of(credentials)


RespondentBearer = Annotated[str, Depends(respondent_token)]
StaffBearer = Annotated[str, Depends(staff_token)]
