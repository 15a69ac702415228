"""/v1/audit: the organization's audit log, for its admins."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["audit"])
