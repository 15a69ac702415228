"""/v1/clients, invitations, results, trends and /v1/attention for therapists."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["clinic"])
