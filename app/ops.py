"""Liveness and readiness for load balancers and orchestrators; metrics for operators."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, select, text

from app.config import Settings
from app.errors import NotFound
from app.metrics import exposition
from app.outbox.models import CHANNELS, PENDING, OutboxMessage

router = APIRouter(tags=["ops"])
logger = logging.getLogger("attune.ops")
#: Probes retry on their own schedule; this is for anything else that asks.
RETRY = {"Retry-After": "5"}


class Health(BaseModel):
    """The process (and, for readiness, the database) is up."""

    status: Literal["ok", "unavailable"]


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses={
        503: {
            "model": Health,
            "description": "Not ready; ask again after Retry-After seconds.",
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
        }
    },
)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers a query within `ATTUNE_READINESS_TIMEOUT_SECONDS`,
    and the rate-limit Redis (if one is configured) a PING.

    A probe must get an answer even when every pooled connection is busy or the database
    hangs, so it has a deadline of its own, shorter than a request's waits.
    """
    deadline = request.app.state.settings.readiness_timeout_seconds
    try:
        async with asyncio.timeout(deadline), request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not ready"; the reason is the operator's
        logger.warning("not ready: %s", type(error.__cause__ or error).__name__)
        return JSONResponse({"status": "unavailable"}, status_code=503, headers=RETRY)
    # Without the counts, sign-ins and new respondents get 503 (app/ratelimit.py).
    if not await request.app.state.limiter.healthy():
        return JSONResponse({"status": "unavailable"}, status_code=503, headers=RETRY)
    return JSONResponse({"status": "ok"})


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics, for the operator who holds ATTUNE_METRICS_TOKEN (404 otherwise)."""
    settings: Settings = request.app.state.settings
    expected = settings.metrics_token
    given = request.headers.get("authorization", "")
    if expected is None or not hmac.compare_digest(
        given.encode(), f"Bearer {expected.get_secret_value()}".encode()
    ):
        # The same answer with no token, a wrong one, or metrics off: nothing to probe.
        raise NotFound("There is nothing here.")
    body, media_type = exposition(await _queue_depth(request))
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-store"})


async def _queue_depth(request: Request) -> dict[str, int]:
    """Outbound work still to send, per channel."""
    statement = (
        select(OutboxMessage.channel, func.count())
        .where(OutboxMessage.status == PENDING)
        .group_by(OutboxMessage.channel)
    )
    depth = dict.fromkeys(CHANNELS, 0)
    async with request.app.state.engine.connect() as connection:
        for channel, pending in await connection.execute(statement):
            depth[channel] = int(pending)
    return depth
