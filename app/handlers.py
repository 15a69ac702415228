"""Every error becomes an RFC 9457 problem document; nothing else leaves as an error."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.routing import Match

from app.db import DatabaseUnavailable, is_unavailable
from app.errors import (
    PROBLEM_JSON,
    AppError,
    InvalidInput,
    ServiceUnavailable,
)
from app.i18n import negotiate_locale
from app.logs import REQUEST_ID_HEADER, request_id_var, route_template
from app.questionnaires.dependencies import locales_wanted

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


def problem_response(error: AppError, request: Request) -> Response:
    """The problem+json response for an application error (an HTML page on intake paths)."""
    retry_after = getattr(error, "retry_after", None)
    if is_intake_path(request):
        return intake_status_page(request, error.status, retry_after)
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
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


async def _app_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, AppError)
    return problem_response(error, request)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = [field_error(tuple(e["loc"]), e["msg"]) for e in error.errors()]
    names = ", ".join(e.get("pointer") or e.get("parameter", "") for e in errors)
    return problem_response(InvalidInput(f"The request is invalid: {names}.", errors), request)


def is_intake_path(request: Request) -> bool:
    """Whether the request is for an intake page: its path holds a secret, its answers are HTML."""
    return request.url.path.startswith("/intake/")


def intake_status_page(request: Request, status: int, retry_after: int | None = None) -> Response:
    """An intake page for an error: no token echoed, no-store, in the client's language."""
    from app.intake.pages import LOCALES, status_page

    wanted = locales_wanted(request, request.query_params.get("lang"))
    return status_page(status, negotiate_locale(wanted, LOCALES, LOCALES[0]), retry_after)


#: The methods an Allow header may name (OPTIONS and TRACE are answered by no route).
_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """Every method some route of this path answers (Starlette names only the first route's)."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return ", ".join(allowed)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    if is_intake_path(request):
        page = intake_status_page(request, error.status_code)
        page.headers.update(headers)
        return page
    problem = {
        "type": "about:blank",
        "title": _TITLES.get(error.status_code, "HTTP error"),
        "status": error.status_code,
        "detail": str(error.detail),
        "instance": request.url.path,
    }
    return JSONResponse(
        problem, status_code=error.status_code, media_type=PROBLEM_JSON, headers=headers
    )


async def _database_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DBAPIError)
    cause = error.orig or error
    if is_unavailable(cause, disconnected=error.connection_invalidated):
        return _unavailable(request, cause)
    if getattr(error.orig, "sqlstate", None) in _TEXT_POSTGRES_REFUSES:
        # Any text field or parameter may carry one; PostgreSQL refuses it where SQLite stores it.
        detail = "Text may not contain the NUL character (U+0000)."
        return problem_response(InvalidInput(detail, [{"detail": detail}]), request)
    return _internal_error(request, error)


async def _database_unavailable(request: Request, error: Exception) -> Response:
    assert isinstance(error, DatabaseUnavailable)
    return _unavailable(request, error.__cause__ or error)


async def _pool_timeout(request: Request, error: Exception) -> Response:
    # Every pooled connection stayed busy for ATTUNE_DATABASE_POOL_TIMEOUT_SECONDS.
    logger.warning("no database connection free in time")
    busy = ServiceUnavailable("The service is busy; please try again in a few seconds.")
    return problem_response(busy, request)


def _unavailable(request: Request, cause: BaseException) -> Response:
    # The driver's error type and SQLSTATE only: its message may quote the values written.
    sqlstate = getattr(cause, "sqlstate", None)
    logger.warning("database unavailable: %s (SQLSTATE %s)", type(cause).__name__, sqlstate)
    down = ServiceUnavailable("The database cannot serve requests right now; nothing was saved.")
    return problem_response(down, request)


def _internal_error(request: Request, error: Exception) -> Response:
    # The exception type and the route template only: messages may carry answers, and a raw
    # path may be an intake link's secret.
    route = route_template(request.scope) or "an unmatched path"
    logger.error("unhandled %s on %s %s", type(error).__name__, request.method, route)
    if is_intake_path(request):
        return intake_status_page(request, 500)
    problem = {
        "type": "about:blank",
        "title": "Internal server error",
        "status": 500,
        "detail": "Something went wrong on our side; nothing was saved. Please try again.",
    }
    return JSONResponse(problem, status_code=500, media_type=PROBLEM_JSON)


async def _unexpected(request: Request, error: Exception) -> Response:
    # The last resort, run outside every middleware (the request log's included), after which
    # the server drops the connection: say so, so that a keep-alive client opens a new one for
    # its next request instead of failing on this one; and name the request it answers.
    response = _internal_error(request, error)
    response.headers["Connection"] = "close"
    request_id = request_id_var.get()
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(DatabaseUnavailable, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _pool_timeout)
    app.add_exception_handler(Exception, _unexpected)
