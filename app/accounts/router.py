"""/v1/auth (staff login and logout) and /v1/users (an admin manages their organization)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["accounts"])
