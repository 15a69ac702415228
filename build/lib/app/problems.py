"""OpenAPI declarations of problem+json responses, so generated clients know every error."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.errors import PROBLEM_JSON


class FieldError(BaseModel):
    """One offending field: a JSON pointer into the body, or a parameter's name; what is wrong."""

    pointer: str | None = Field(None, examples=["#/answers/hyper_1"])
    parameter: str | None = Field(None, examples=["cursor"])
    detail: str = Field(examples=["5 is not an answer of this item; allowed: 0, 1, 2, 3, 4"])


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:attune:problem:invalid-input"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = Field(
        None, description="With 422: one entry per offending field."
    )


_DESCRIPTIONS = {
    400: "The request is malformed or lacks a required header.",
    401: "Missing or invalid bearer token.",
    403: "The caller's role does not allow this.",
    404: "No such resource, or none the caller may see.",
    409: "Conflicts with the current state (e.g. already submitted).",
    412: "If-Match did not match: someone else changed it first.",
    413: "The body is over the size limit.",
    422: "A field is invalid; `errors` names each one.",
    429: "Too many failed attempts from this address; wait for Retry-After seconds.",
    503: "The database cannot be reached.",
}


def problems(
    *statuses: int, success: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries: each status a problem+json document, plus other successes."""
    others: dict[int | str, dict[str, Any]] = {
        code: {"description": text} for code, text in (success or {}).items()
    }
    return others | {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
