"""Structured logs: one JSON object per line, each tagged with the request it belongs to.

The service holds mental-health data, so what a log line may carry is narrow on purpose:
the route *template* (`/intake/{token}`, never the raw path: an intake path is a secret),
the method, the status and the duration. No query strings, headers, bodies or exception
messages (a database error's message can quote the answers it was inserting).

Named `logs`, not `logging`, so that `import logging` keeps meaning the standard library.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import Scope

from app.metrics import observe_request

REQUEST_ID_HEADER = "X-Request-ID"
# A client's own id is kept only if it looks like an id: no spaces, no token-like
# underscores (atr_/ats_/ati_), bounded, so nobody can write arbitrary text into our logs.
_WELL_FORMED = re.compile(r"[A-Za-z0-9-]{8,64}")
# Fields a log call may add with `extra=`; anything else is dropped rather than trusted.
_FIELDS = ("method", "route", "status", "duration_ms")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
access_logger = logging.getLogger("attune.access")


class JSONFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message, request_id and known extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for name in _FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            kind, _error, tb = record.exc_info
            # The type and where it happened, not the message: see the module docstring.
            line["error"] = kind.__name__
            line["traceback"] = "".join(traceback.format_tb(tb))
        return json.dumps(line, default=str)


_second: list[tuple[int, str]] = [(-1, "")]


def _timestamp(created: float) -> str:
    """ISO 8601 with milliseconds, in UTC; the part up to the second is made once a second
    (a log line per request made `isoformat` a visible share of a cached read's cost)."""
    second = int(created)
    cached, prefix = _second[0]
    if cached != second:
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second[0] = (second, prefix)
    return f"{prefix}.{int((created - second) * 1000):03d}+00:00"


def log_config(log_format: str, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the app and uvicorn (its access log is ours)."""
    formatter = (
        {"()": JSONFormatter}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level.upper()},
        "loggers": {
            # uvicorn's own access line holds the raw path and query string: never used.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
        },
    }


def incoming_request_id(scope: Scope) -> str:
    """The client's X-Request-ID if it is well-formed, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            return well_formed(value) or new_request_id()
    return new_request_id()


def route_template(scope: Scope) -> str | None:
    """The matched route's path template; None when nothing matched (the raw path is not logged)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


def well_formed(candidate: bytes | None) -> str | None:
    """A client's X-Request-ID (raw header value) if it looks like an id, else None."""
    if candidate is None:
        return None
    text = candidate.decode("latin-1")
    return text if _WELL_FORMED.fullmatch(text) else None


def new_request_id() -> str:
    """A fresh request id."""
    return uuid.uuid4().hex


def log_access(route: str | None, method: str, status: int, started: float) -> None:
    """The access line of an answered request (route template only), and its metrics."""
    seconds = time.perf_counter() - started
    if access_logger.isEnabledFor(logging.INFO):
        access_logger.info(
            "request",
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
    observe_request(route, method, status, seconds)
