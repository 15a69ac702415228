"""A browser app on an allowed origin may send the headers the contract declares and read
the ones it returns (README: "A browser app on another origin")."""

from __future__ import annotations

import httpx

from app.config import Settings
from app.main import create_app

ORIGIN = "https://app.example.org"


async def test_an_allowed_origin_may_use_the_declared_headers() -> None:
    app = create_app(Settings(environment="test", cors_origins=[ORIGIN]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
        preflight = await http.options(
            "/v1/questionnaires/connection",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "if-none-match, accept-language, x-request-id",
            },
        )
        other = await http.options(
            "/v1/questionnaires/connection",
            headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
        )
        answer = await http.get("/healthz", headers={"Origin": ORIGIN})
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"if-none-match", "accept-language", "idempotency-key", "if-match"} <= {
        h.strip() for h in allowed.split(",")
    }
    assert other.status_code == 400
    exposed = {
        h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")
    }
    assert {"etag", "idempotent-replayed", "retry-after", "x-request-id"} <= exposed
