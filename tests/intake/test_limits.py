"""Guessing intake links: wrong tokens are counted per address, then refused with 429; a
link's own token is never refused for other people's guesses."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from tests.intake.links import make_link


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A small allowance of wrong tokens, so the test reaches it quickly."""
    return Settings(
        database_url=database_url, environment="test", token_failures_limit="3/15 minutes"
    )


async def test_too_many_wrong_tokens_are_refused_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app)
    assert (await client.get(link.url)).status_code == 200  # a right token never counts
    for attempt in range(3):
        wrong = await client.get(f"/intake/ati_wrong-guess-{attempt}")
        assert wrong.status_code == 404
    refused = await client.post("/intake/ati_wrong-guess-4", data={"action": "save"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Please wait a little" in refused.text
    assert refused.headers["cache-control"] == "no-store"
    # Only guesses are paused: the link's own token still opens its form from this address.
    assert (await client.get(link.url)).status_code == 200
    assert (await client.post(link.url, data={"action": "save"})).status_code == 303
    assert (await client.get("/intake/ati_wrong-guess-5")).status_code == 429
