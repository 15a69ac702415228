"""The real server: `attune serve` as a process, every /v1 endpoint over TCP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from app.config import Settings
from app.db import create_engine
from tests.conftest import clear_rows
from tests.servers import running_server


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    """`attune serve` on a free port of the test database; stopped with SIGTERM."""
    with running_server(database_url) as base:
        yield base


@pytest.fixture
async def http(server: str, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the running server; rows are deleted afterwards."""
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield client
    engine = create_engine(Settings(database_url=database_url))
    try:
        await clear_rows(engine)
    finally:
        await engine.dispose()


async def test_every_endpoint_over_tcp(http: httpx.AsyncClient) -> None:
    listed = (await http.get("/v1/questionnaires")).json()
    assert len(listed) == 3  # De Jong Gierveld is built in but off by default (its licence)
    assert (await http.get("/v1/concepts")).status_code == 200
    definition = (await http.get("/v1/questionnaires/connection?lang=es")).json()
    answers = {i["id"]: i["options"][1]["value"] for i in definition["items"]}

    token = (await http.post("/v1/respondents", json={"research_consent": True})).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    created = (
        await http.post("/v1/assessments", json={"questionnaire_id": "connection"}, headers=auth)
    ).json()
    url = f"/v1/assessments/{created['id']}"
    saved = await http.put(f"{url}/answers", json={"answers": answers}, headers=auth)
    assert saved.status_code == 200
    assert (await http.get(url, headers=auth)).json()["answers"] == answers
    submitted = await http.post(f"{url}/submit", headers=auth | {"Idempotency-Key": "one"})
    assert submitted.status_code == 200
    assert (await http.get(f"{url}/result?lang=es", headers=auth)).json()["locale"] == "es"

    offline = {
        "id": str(uuid.uuid4()),
        "questionnaire_id": "connection",
        "answers": answers,
        "answered_at": "2026-11-25T21:00:00Z",
    }
    first = await http.post("/v1/submissions", json=offline, headers=auth)
    retry = await http.post("/v1/submissions", json=offline, headers=auth)
    assert (first.status_code, retry.status_code) == (201, 200)

    history = (await http.get("/v1/me/assessments", headers=auth)).json()
    assert len(history["items"]) == 2
    scale = definition["scales"][0]["id"]
    trend = await http.get(f"/v1/me/trends?questionnaire=connection&scale={scale}", headers=auth)
    assert len(trend.json()["points"]) == 2
    consent = await http.put("/v1/me/consent", json={"research": False}, headers=auth)
    assert consent.json()["research"] is False
    assert len((await http.get("/v1/me/export", headers=auth)).json()["assessments"]) == 2
    erased = (await http.delete("/v1/me", headers=auth)).json()
    assert (erased["assessments"], erased["results"]) == (2, 2)
    assert (await http.get("/v1/me/export", headers=auth)).status_code == 401
