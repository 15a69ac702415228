"""CSRF protection for cookie-authenticated forms: a token bound to the session, and Origin.

The token is HMAC-SHA256(secret key, "csrf:" + the session cookie's value), so it is valid
only with the session it was made for, needs no storage, and changes at every sign-in (a new
session token). Before sign-in the form is bound to a random pre-session cookie instead. On
top, an unsafe request must come from this site: its `Origin` (or, when a browser sends none,
its `Referer`) must be the service's own origin. A request failing either is refused (403).
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from app.errors import Forbidden

FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Forbidden):
    """A state-changing request without a valid CSRF token or from another origin."""

    title = "Request refused"


def csrf_token(secret: str, binding: str) -> str:
    """The form token for a session (or pre-session) cookie value."""
    message = f"csrf:{binding}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def check_token(secret: str, binding: str | None, sent: str | None) -> None:
    """403 unless `sent` is the token of `binding` (compared in constant time)."""
    if not binding or not sent:
        raise CsrfRefused("This form is missing its security token. Reload the page and retry.")
    if not hmac.compare_digest(csrf_token(secret, binding), sent):
        raise CsrfRefused("This form's security token has expired. Reload the page and retry.")


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_origin(origin: str | None, referer: str | None, allowed: set[str]) -> None:
    """403 unless the request says it comes from one of the allowed origins."""
    claimed = origin if origin and origin != "null" else (origin_of(referer) if referer else None)
    if claimed is None or claimed.lower() not in allowed:
        raise CsrfRefused("This form was sent from another site, so it was not accepted.")
