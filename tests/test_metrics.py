"""GET /metrics: Prometheus text for operators only, summed over workers, with no personal data."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from app.db import create_engine
from app.main import create_app
from tests.conftest import clear_rows
from tests.servers import running_server

METRICS_TOKEN = "metrics-test-token-" + "5" * 20
OPERATOR = {"Authorization": f"Bearer {METRICS_TOKEN}"}
QUESTIONNAIRE_ROUTE = "/v1/questionnaires/{questionnaire_id}"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape, keyed by name and labels."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(scraped: Samples, name: str, **labels: str) -> float:
    """One sample's value, 0 when it has not appeared yet."""
    return scraped.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def metered(database_url: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app with metrics on and a tight login limit, and a client of it."""
    settings = Settings(
        database_url=database_url,
        environment="test",
        metrics_token=METRICS_TOKEN,
        login_failures_limit="2/15 minutes",
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
            yield application, http
        await clear_rows(application.state.engine)


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics", headers=OPERATOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["cache-control"] == "no-store"
    return samples(response.text)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}],
    ids=["none", "wrong", "not-bearer"],
)
async def test_metrics_need_the_operator_token(
    metered: tuple[FastAPI, httpx.AsyncClient], headers: dict[str, str]
) -> None:
    _app, http = metered
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 404
    assert "attune_" not in response.text


async def test_metrics_are_off_without_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics", headers=OPERATOR)).status_code == 404


async def test_requests_refusals_and_scores_are_counted(
    metered: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, http = metered
    before = await scrape(http)
    for _ in range(3):
        assert (await http.get("/v1/questionnaires/connection")).status_code == 200
    assert (await http.get("/v1/questionnaires/no-such-thing")).status_code == 404
    token = (await http.post("/v1/respondents", json={})).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {
        "id": str(uuid.uuid4()),
        "questionnaire_id": "three-item-loneliness",
        "answers": {"lack-companionship": 2, "left-out": 1, "isolated": 2},
        "answered_at": "2026-11-20T08:30:00Z",
    }
    assert (await http.post("/v1/submissions", json=body, headers=auth)).status_code == 201
    # A replay stores nothing new, so it scores nothing new.
    assert (await http.post("/v1/submissions", json=body, headers=auth)).status_code == 200
    wrong = {"username": "nobody@clinic.test", "password": "not the password"}
    statuses = [(await http.post("/v1/auth/token", data=wrong)).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    after = await scrape(http)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    fetched = {"route": QUESTIONNAIRE_ROUTE, "method": "GET"}
    assert grew("attune_http_requests_total", **fetched, status="200") == 3
    assert grew("attune_http_requests_total", **fetched, status="404") == 1
    assert grew("attune_http_request_duration_seconds_count", **fetched) == 4
    assert grew("attune_rate_limit_refusals_total", route="/v1/auth/token") == 1
    scored = {"questionnaire": "three-item-loneliness", "source": "app"}
    assert grew("attune_scored_results_total", **scored) == 1
    assert value(after, "attune_outbound_queue_depth", channel="webhook") == 0
    # Nothing is checked out between requests: the gauge follows the pool both ways.
    assert value(after, "attune_db_pool_connections_in_use") == 0


async def test_a_rolled_back_submission_is_not_counted(
    metered: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, http = metered
    token = (await http.post("/v1/respondents", json={})).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    before = await scrape(http)
    body = {
        "id": str(uuid.uuid4()),
        "questionnaire_id": "three-item-loneliness",
        "answers": {"lack-companionship": 2, "left-out": 1, "isolated": 9},
        "answered_at": "2026-11-20T08:30:00Z",
    }
    assert (await http.post("/v1/submissions", json=body, headers=auth)).status_code == 422
    after = await scrape(http)
    scored = {"questionnaire": "three-item-loneliness", "source": "app"}
    assert value(after, "attune_scored_results_total", **scored) == value(
        before, "attune_scored_results_total", **scored
    )


async def test_two_workers_are_summed_and_labels_hold_no_personal_data(
    database_url: str, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {"ATTUNE_METRICS_TOKEN": METRICS_TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with running_server(database_url, workers=2, env=env) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            secrets = await _real_flows(http, submissions=24)
            scrapes = [(await http.get("/metrics", headers=OPERATOR)).text for _ in range(6)]
        engine = create_engine(Settings(database_url=database_url))
        try:
            await clear_rows(engine)
        finally:
            await engine.dispose()
    # Both workers wrote their own values (each checked out a connection at start-up).
    pids = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("*.db")}
    assert len(pids) >= 2, sorted(path.name for path in metrics_dir.glob("*.db"))
    routes = {
        (value_labels["route"])
        for text in scrapes
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        for value_labels in [sample.labels]
        if "route" in value_labels
    }
    app_routes = {
        str(context.path) for context in iter_route_contexts(create_app(Settings()).routes)
    }
    assert routes <= app_routes | {"unmatched"}, routes - app_routes
    for text in scrapes:
        scraped = samples(text)
        # Whichever worker answered the scrape, the totals are those of both.
        scored = {"questionnaire": "connection", "source": "app"}
        assert value(scraped, "attune_scored_results_total", **scored) == 24
        submitted = {"route": "/v1/submissions", "method": "POST", "status": "201"}
        assert value(scraped, "attune_http_requests_total", **submitted) == 24
        for secret in secrets:
            assert secret not in text
        label_values = " ".join(label for key in scraped for pair in key[1] for label in pair)
        assert not UUID.search(label_values)
        assert "atr_" not in text
        assert "ati_" not in text
        assert "@" not in label_values


async def _real_flows(http: httpx.AsyncClient, submissions: int) -> list[str]:
    """Respondents answering at once, and a made-up intake link; the secrets they used."""
    definition = (await http.get("/v1/questionnaires/connection")).json()
    answers = {item["id"]: item["options"][1]["value"] for item in definition["items"]}
    secrets: list[str] = []

    async def one() -> None:
        created = await http.post("/v1/respondents", json={})
        token = created.json()["token"]
        secrets.append(token)
        body = {
            "id": str(uuid.uuid4()),
            "questionnaire_id": "connection",
            "answers": answers,
            "answered_at": "2026-11-20T08:30:00Z",
        }
        secrets.append(body["id"])
        headers = {"Authorization": f"Bearer {token}"}
        assert (await http.post("/v1/submissions", json=body, headers=headers)).status_code == 201

    await asyncio.gather(*(one() for _ in range(submissions)))
    made_up = "ati_" + "x" * 43
    secrets.append(made_up)
    assert (await http.get(f"/intake/{made_up}")).status_code == 404
    return secrets
