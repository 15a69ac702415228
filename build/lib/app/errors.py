"""Application errors, rendered as RFC 9457 ``application/problem+json``.

Services raise these; they never know about HTTP beyond the status each class declares.

    AppError
    ├── BadRequest (400)
    │   └── InvalidInput (422) ── carries `errors`: one entry per offending field
    ├── Unauthorized (401)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── Conflict (409)
    ├── Gone (410)
    ├── PreconditionFailed (412)
    ├── PayloadTooLarge (413)
    ├── PreconditionRequired (428)
    ├── TooManyRequests (429) ── carries `retry_after` seconds
    └── ServiceUnavailable (503)
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """Base of every error a client may see."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "about:blank"
    title: ClassVar[str] = "Internal server error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document for this error."""
        problem: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance is not None:
            problem["instance"] = instance
        problem.update(self.extensions)
        return problem


def _problem_type(slug: str) -> str:
    return f"urn:attune:problem:{slug}"


class BadRequest(AppError):
    """The request cannot be understood."""

    status = 400
    type = _problem_type("bad-request")
    title = "Bad request"


class InvalidInput(BadRequest):
    """One or more fields are wrong; `errors` names each with a JSON pointer."""

    status = 422
    type = _problem_type("invalid-input")
    title = "Invalid input"

    def __init__(self, detail: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail, errors=errors)


class Unauthorized(AppError):
    """No valid credentials were given."""

    status = 401
    type = _problem_type("unauthorized")
    title = "Unauthorized"


class Forbidden(AppError):
    """The credentials are valid but do not allow this."""

    status = 403
    type = _problem_type("forbidden")
    title = "Forbidden"


class NotFound(AppError):
    """No such resource, or none that the caller may see."""

    status = 404
    type = _problem_type("not-found")
    title = "Not found"


class Conflict(AppError):
    """The request conflicts with the resource's current state."""

    status = 409
    type = _problem_type("conflict")
    title = "Conflict"


class Gone(AppError):
    """The resource existed but is no longer available."""

    status = 410
    type = _problem_type("gone")
    title = "Gone"


class PreconditionFailed(AppError):
    """An If-Match precondition did not hold: someone else changed the resource."""

    status = 412
    type = _problem_type("precondition-failed")
    title = "Precondition failed"


class PayloadTooLarge(AppError):
    """The request body is over the configured limit."""

    status = 413
    type = _problem_type("payload-too-large")
    title = "Payload too large"


class PreconditionRequired(AppError):
    """The request needs a header it did not send."""

    status = 428
    type = _problem_type("precondition-required")
    title = "Precondition required"


class TooManyRequests(AppError):
    """Too many failed attempts from one address; try again after `retry_after` seconds."""

    status = 429
    type = _problem_type("too-many-requests")
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    """A dependency (the database) cannot be reached."""

    status = 503
    type = _problem_type("service-unavailable")
    title = "Service unavailable"
