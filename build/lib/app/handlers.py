"""Every error becomes an RFC 9457 problem document; nothing else leaves as an error."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from app.errors import (
    PROBLEM_JSON,
    AppError,
    InvalidInput,
    ServiceUnavailable,
    TooManyRequests,
)

logger = logging.getLogger("attune.errors")

#: SQLSTATEs of text PostgreSQL cannot hold: a NUL in text (22021) or in JSON (22P05).
_TEXT_POSTGRES_REFUSES = {"22021", "22P05"}

_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Payload too large",
}


def problem_response(error: AppError, request: Request) -> JSONResponse:
    """The problem+json response for an application error."""
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(
        error.to_problem(instance=request.url.path),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def field_error(loc: tuple[Any, ...], message: str) -> dict[str, str]:
    """A validation error located as a body JSON pointer or a parameter name."""
    where, *path = loc or ("body",)
    if where == "body":
        return {"pointer": "#/" + "/".join(str(p) for p in path), "detail": message}
    return {"parameter": str(path[0]) if path else str(where), "detail": message}


async def _app_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AppError)
    return problem_response(error, request)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [field_error(tuple(e["loc"]), e["msg"]) for e in error.errors()]
    names = ", ".join(e.get("pointer") or e.get("parameter", "") for e in errors)
    return problem_response(InvalidInput(f"The request is invalid: {names}.", errors), request)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    problem = {
        "type": "about:blank",
        "title": _TITLES.get(error.status_code, "HTTP error"),
        "status": error.status_code,
        "detail": str(error.detail),
        "instance": request.url.path,
    }
    return JSONResponse(
        problem, status_code=error.status_code, media_type=PROBLEM_JSON, headers=error.headers
    )


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DBAPIError)
    if error.connection_invalidated or isinstance(error.orig, OSError):
        logger.warning("database unreachable: %s", type(error.orig).__name__)
        return problem_response(ServiceUnavailable("The database cannot be reached."), request)
    if getattr(error.orig, "sqlstate", None) in _TEXT_POSTGRES_REFUSES:
        # Any text field or parameter may carry one; PostgreSQL refuses it where SQLite stores it.
        detail = "Text may not contain the NUL character (U+0000)."
        return problem_response(InvalidInput(detail, [{"detail": detail}]), request)
    return await _unexpected(request, error)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # The exception type and route only: messages may carry answers or tokens.
    logger.error("unhandled %s on %s %s", type(error).__name__, request.method, request.url.path)
    problem = {
        "type": "about:blank",
        "title": "Internal server error",
        "status": 500,
        "detail": "Something went wrong on our side; nothing was saved. Please try again.",
    }
    return JSONResponse(problem, status_code=500, media_type=PROBLEM_JSON)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
