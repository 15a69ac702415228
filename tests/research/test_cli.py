"""`attune export` writes the same rows as the API, through the same code, and is audited."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.research.seeding import (
    LONELINESS,
    LONELY,
    NOT_LONELY,
    add_assessment,
    at,
    crowd,
    new_clinic,
    new_person,
)

K = 11  # the default research_min_cell


def attune(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process on the test database (the same secret key)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=os.environ | {"ATTUNE_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )


async def test_the_cli_writes_the_rows_the_api_serves(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    clinic = await new_clinic(app)
    await crowd(app, clinic, K)
    for answers in (LONELY, NOT_LONELY):
        person = await new_person(app, clinic)
        await add_assessment(app, person, at(2024, 2, 1), answers)
        await add_assessment(app, person, at(2024, 9, 1), LONELY)
    await client.post("/v1/research/studies", json={"name": "panel"}, headers=clinic.researcher)
    for format in ("csv", "jsonl"):
        output = tmp_path / f"export.{format}"
        options = ["--organization-id", str(clinic.organization_id), "--questionnaire", LONELINESS]
        options += ["--study", "panel", "--items", "--format", format, "--from", "2023"]
        done = attune(database_url, "export", *options, "--output", str(output))
        assert done.returncode == 0, done.stderr
        assert f"{4 + K} row(s) written" in done.stderr
        query = {"questionnaire": LONELINESS, "study": "panel", "items": "true", "format": format}
        api = await client.get(
            "/v1/research/export", params=query | {"from": "2023"}, headers=clinic.researcher
        )
        assert output.read_bytes() == api.content
        assert len(api.content.splitlines()) == 4 + K + (format == "csv")
    page = await client.get("/v1/audit", params={"action": "research.export"}, headers=clinic.admin)
    vias = [
        (e["details"]["via"], e["actor_user_id"], e["details"]["rows"])
        for e in page.json()["items"]
    ]
    assert [v for v in vias if v[0] == "cli"] == [("cli", None, 4 + K), ("cli", None, 4 + K)]


async def test_the_cli_refuses_an_unknown_study_or_questionnaire(
    app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    clinic = await new_clinic(app)
    output = tmp_path / "x.csv"
    base = ["export", "--organization-id", str(clinic.organization_id), "--output", str(output)]
    study = attune(database_url, *base, "--questionnaire", LONELINESS, "--study", "nope")
    assert study.returncode == 1
    assert "no study named 'nope'" in study.stderr
    questionnaire = attune(database_url, *base, "--questionnaire", "nope")
    assert questionnaire.returncode == 1
    assert "no questionnaire 'nope'" in questionnaire.stderr
    assert not output.exists()
