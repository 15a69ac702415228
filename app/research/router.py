"""/v1/research: anonymized export, codebook and aggregates, for researchers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/research", tags=["research"])
