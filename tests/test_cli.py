"""The `attune` command as an operator runs it: migrate, load, rescore."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from app.assessments.models import Result
from app.rescore import rescore_all
from tests.api.answering import answer_all, questionnaire, start, submit


def attune(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process against a database."""
    env = os.environ | {"ATTUNE_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_migrate_then_load_on_a_new_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    migrated = attune("migrate", database_url=url)
    loaded = attune("questionnaires", "load", database_url=url)
    again = attune("questionnaires", "load", database_url=url)
    assert migrated.returncode == 0, migrated.stderr
    assert loaded.returncode == 0, loaded.stderr
    assert "window-of-tolerance@1.0.0" in loaded.stdout
    assert again.stdout.strip() == "all definitions already recorded"


def test_help_lists_the_commands() -> None:
    result = attune("--help", database_url="sqlite+aiosqlite:///:memory:")
    for command in ("serve", "migrate", "questionnaires", "rescore"):
        assert command in result.stdout


async def _submitted(client: httpx.AsyncClient, auth: dict[str, str]) -> str:
    answers = answer_all(await questionnaire(client, "connection"), -1)
    created = await start(client, auth, "connection", answers)
    created_id = str(created["id"])
    await submit(client, auth, created_id)
    return created_id


async def test_rescore_finds_nothing_changed(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for _ in range(3):
        await _submitted(client, auth)
    report = await rescore_all(app.state.settings)
    assert (report.checked, report.same, report.differences) == (3, 3, [])


async def test_rescore_reports_a_result_that_differs(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], database_url: str
) -> None:
    assessment_id = await _submitted(client, auth)
    async with app.state.sessionmaker.begin() as session:
        result = (
            await session.execute(
                select(Result).where(Result.assessment_id == uuid.UUID(assessment_id))
            )
        ).scalar_one()
        tampered = dict(result.score) | {"profile": "not-what-the-rules-say"}
        await session.execute(update(Result).where(Result.id == result.id).values(score=tampered))
    report = await rescore_all(app.state.settings)
    assert report.checked == 1
    (line,) = report.differences
    assert assessment_id in line
    assert "profile: not-what-the-rules-say" in line
    cli = attune("rescore", database_url=database_url)
    assert cli.returncode == 1
    assert "1 different" in cli.stdout
