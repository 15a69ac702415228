"""Webhook secrets are stored encrypted, and migration 0006 encrypts the ones stored before."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select, text

from app.accounts.models import Organization
from app.clinic.encryption import decrypt_secret
from app.config import Settings
from app.db import create_engine
from app.migrations import downgrade, upgrade
from tests.clinic.test_webhooks import register
from tests.conftest import new_staff


async def _stored(app: FastAPI, organization_id: uuid.UUID) -> str | None:
    async with app.state.sessionmaker() as session:
        statement = select(Organization.webhook_secret).where(Organization.id == organization_id)
        return (await session.execute(statement)).scalar_one()


async def test_the_secret_shown_once_is_not_what_the_database_holds(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin, _, org = await new_staff(app, "admin")
    secret = await register(client, admin, "https://hooks.clinic.example/attune")

    stored = await _stored(app, org)

    assert stored is not None
    assert secret not in stored
    assert stored.startswith("fernet:")
    assert decrypt_secret(app.state.settings.secret_key.get_secret_value(), stored) == secret


def _run(url: str, statement: str, **values: object) -> list[tuple[object, ...]]:
    async def go() -> list[tuple[object, ...]]:
        engine = create_engine(Settings(database_url=url))
        try:
            async with engine.begin() as connection:
                result = await connection.execute(text(statement), values)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_the_migration_encrypts_plain_secrets_and_the_downgrade_restores_them(
    database_url: str,
) -> None:
    key = Settings().secret_key.get_secret_value()
    organization_id = uuid.uuid4()
    downgrade(database_url, "0006-1")
    try:
        _run(
            database_url,
            "INSERT INTO organizations (id, name, webhook_url, webhook_secret, created_at, "
            "updated_at) VALUES (:id, 'Old clinic', 'https://hooks.clinic.example/', "
            "'whsec_plain', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            id=organization_id.hex if "sqlite" in database_url else organization_id,
        )
        upgrade(database_url)
        ((stored,),) = _run(database_url, "SELECT webhook_secret FROM organizations")
        assert isinstance(stored, str)
        assert "whsec_plain" not in stored
        assert decrypt_secret(key, stored) == "whsec_plain"

        downgrade(database_url, "0006-1")
        assert _run(database_url, "SELECT webhook_secret FROM organizations") == [("whsec_plain",)]
    finally:
        upgrade(database_url)
        _run(database_url, "DELETE FROM organizations")
