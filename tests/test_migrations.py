"""Migrations: up, down, up again, and the models agree with what they make."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app.config import Settings
from app.db import create_engine
from app.migrations import downgrade
from app.models import metadata
from tests.conftest import BACKENDS, migrate


def _inspect(url: str, check: object) -> object:
    async def run() -> object:
        engine = create_engine(Settings(database_url=url))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(check)  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_downgrade_upgrade_without_drift(
    request: pytest.FixtureRequest, backend: str
) -> None:
    url = str(request.getfixturevalue(f"{backend}_url"))
    assert _inspect(url, _drift) == []
    downgrade(url)
    assert _inspect(url, _tables) <= {"alembic_version"}
    migrate(url)
    assert _inspect(url, _drift) == []
    assert {"assessments", "results", "respondents"} <= _inspect(url, _tables)  # type: ignore[operator]


def _invitation_columns(connection: Connection) -> dict[str, bool]:
    return {c["name"]: c["nullable"] for c in inspect(connection).get_columns("invitations")}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_intake_language_migration_adds_and_removes_one_nullable_column(
    request: pytest.FixtureRequest, backend: str
) -> None:
    url = str(request.getfixturevalue(f"{backend}_url"))
    downgrade(url, "0011")
    before = _inspect(url, _invitation_columns)
    assert "language" not in before  # type: ignore[operator]
    migrate(url)
    after = _inspect(url, _invitation_columns)
    # Links made before it have no language yet: NULL, so the column must allow it.
    assert after == before | {"language": True}  # type: ignore[operator]
    assert _inspect(url, _drift) == []


def _user_columns(connection: Connection) -> dict[str, bool]:
    return {c["name"]: c["nullable"] for c in inspect(connection).get_columns("users")}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_staff_locale_migration_adds_and_removes_one_nullable_column(
    request: pytest.FixtureRequest, backend: str
) -> None:
    url = str(request.getfixturevalue(f"{backend}_url"))
    downgrade(url, "0013_assessment_locale")
    before = _inspect(url, _user_columns)
    assert "locale" not in before  # type: ignore[operator]
    migrate(url)
    after = _inspect(url, _user_columns)
    # Accounts made before it have chosen no language: NULL (English), so it must allow it.
    assert after == before | {"locale": True}  # type: ignore[operator]
    assert _inspect(url, _drift) == []
