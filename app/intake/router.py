"""The intake web form behind an invitation link: /intake/{token} (HTML, not /v1)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/intake", tags=["intake"], include_in_schema=False)
