"""Errors on intake paths: HTML pages that never echo the token, and logs without it."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from app.intake import service
from tests.intake.links import make_link


def assert_intake_page(response: httpx.Response, token: str) -> None:
    """An intake page: HTML, not to be stored, and without the token anywhere."""
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert token not in response.text
    assert "instance" not in response.text


async def test_a_validation_error_on_an_intake_path_is_a_page(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app)
    bad_step = await client.get(f"{link.url}?step=not-a-number")
    assert bad_step.status_code == 422
    assert_intake_page(bad_step, link.token)
    too_short = await client.get("/intake/ati_abc")
    assert too_short.status_code == 422
    assert_intake_page(too_short, "ati_abc")


async def test_a_wrong_method_on_an_intake_path_is_a_page_that_lists_both_methods(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app)
    response = await client.put(link.url)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert_intake_page(response, link.token)


async def test_a_500_on_an_intake_path_is_a_page_and_logs_the_route_not_the_token(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    link = await make_link(app)

    async def broken(*args: object) -> None:
        raise RuntimeError(link.token)  # a message that would leak, were it logged

    monkeypatch.setattr(service, "intake_assessments", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
        with caplog.at_level(logging.ERROR, logger="attune.errors"):
            response = await http.get(link.url)
    assert response.status_code == 500
    assert_intake_page(response, link.token)
    logged = [record.getMessage() for record in caplog.records if record.name == "attune.errors"]
    assert logged == ["unhandled RuntimeError on GET /intake/{token}"]
