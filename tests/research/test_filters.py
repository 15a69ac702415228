"""Export filters are whole periods the rows show, and no export describes fewer than k people."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.research.seeding import LONELINESS, NOT_LONELY, at, many_people, new_clinic
from tests.research.test_aggregates import designated
from tests.research.test_cli import attune

K = 11  # the default research_min_cell


@pytest.mark.parametrize(
    ("params", "parameter", "says"),
    [
        ({"from": "2024-03-05"}, "from", "is a day"),
        ({"to": "2024-03-05"}, "to", "is a day"),
        ({"from": "2024-03"}, "from", "is a month"),
        ({"to": "2024-W10"}, "to", "is a week"),
        ({"from": "2024-W10-1"}, "from", "is a day"),
        ({"from": "2024-03-05T10:00:00Z"}, "from", "is a day"),
        ({"from": "2024-13"}, "from", "is not a period"),
        ({"to": "last year"}, "to", "is not a period"),
    ],
)
async def test_a_filter_finer_than_the_rows_show_is_refused_and_says_why(
    app: FastAPI, client: httpx.AsyncClient, params: dict[str, str], parameter: str, says: str
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, K, when=at(2024, 3, 5))
    query = {"questionnaire": LONELINESS} | params
    refused = await client.get("/v1/research/export", params=query, headers=clinic.researcher)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert says in problem["detail"]
    assert problem["errors"] == [{"parameter": parameter, "detail": "must be a year (2024)"}]
    audited = {"action": "research.export"}
    audit = await client.get("/v1/audit", params=audited, headers=clinic.admin)
    assert audit.json()["items"] == []  # refused before anything was read


async def test_a_study_designated_for_months_filters_by_whole_months(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, K, when=at(2024, 3, 31, 23))
    await many_people(app, clinic, K + 1, when=at(2024, 4, 1, 0))
    study = await designated(client, clinic, "month")
    query = {"questionnaire": LONELINESS, "study": study, "from": "2024-03", "to": "2024-03"}
    march = await client.get("/v1/research/export", params=query, headers=clinic.researcher)
    assert march.status_code == 200, march.text
    assert [r["month"] for r in csv.DictReader(io.StringIO(march.text))] == ["2024-03"] * K
    weekly = await client.get(
        "/v1/research/export", params=query | {"from": "2024-W13"}, headers=clinic.researcher
    )
    assert weekly.status_code == 422
    assert weekly.json()["errors"] == [
        {"parameter": "from", "detail": "must be a year (2024) or a month (2024-03)"}
    ]


async def test_an_export_of_fewer_than_k_people_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, other = await new_clinic(app), await new_clinic(app)
    when = at(2024, 6, 1)
    await many_people(app, clinic, K - 1, when=when)
    await many_people(app, clinic, K, when=when, consent=False)  # never counted
    await many_people(app, clinic, K, when=when, consent=False, consented_then=True)
    await many_people(app, clinic, K, when=when, version="0.9.0")  # another version
    await many_people(app, other, K, when=when)  # another organization
    query = {"questionnaire": LONELINESS}
    refused = await client.get("/v1/research/export", params=query, headers=clinic.researcher)
    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:attune:problem:too-few-people"
    assert refused.json()["min_people"] == K
    assert refused.json()["detail"] == (
        f"This export would describe fewer than {K} people (ATTUNE_RESEARCH_MIN_CELL), few "
        "enough to single someone out, so it is refused. Widen the period, choose another "
        "version, or wait until more people have consented."
    )
    await many_people(app, clinic, 1, when=at(2025, 2, 1), answers=NOT_LONELY)
    allowed = await client.get("/v1/research/export", params=query, headers=clinic.researcher)
    assert allowed.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(allowed.text)))) == K
    alone = await client.get(
        "/v1/research/export", params=query | {"from": "2025"}, headers=clinic.researcher
    )
    assert alone.status_code == 422  # the one person of 2025
    assert alone.json()["type"] == "urn:attune:problem:too-few-people"


async def test_the_cli_refuses_a_day_and_a_small_population(
    app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, K - 1, when=at(2024, 6, 1))
    output = tmp_path / "x.csv"
    base = ["export", "--organization-id", str(clinic.organization_id), "--output", str(output)]
    day = attune(database_url, *base, "--questionnaire", LONELINESS, "--from", "2024-06-01")
    assert day.returncode == 1
    assert "from=2024-06-01 is a day" in day.stderr
    few = attune(database_url, *base, "--questionnaire", LONELINESS, "--from", "2024")
    assert few.returncode == 1
    assert f"fewer than {K} people" in few.stderr
    assert not output.exists()
