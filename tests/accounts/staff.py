"""Helpers of the account tests: users with real passwords, and logging in over HTTP."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from app.accounts import service

PASSWORD = "correct horse battery"


async def new_user(
    app: FastAPI,
    email: str,
    role: str = "admin",
    organization_id: uuid.UUID | None = None,
    password: str = PASSWORD,
) -> tuple[uuid.UUID, uuid.UUID]:
    """A user made by the service, as the CLI makes the first admin; (user id, org id)."""
    async with app.state.sessionmaker.begin() as session:
        if organization_id is None:
            organization_id = (await service.create_organization(session, "Clinic")).id
        user = await service.create_user(session, organization_id, email, password, role)
    return user.id, organization_id


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """POST the OAuth2 password form."""
    return await client.post("/v1/auth/token", data={"username": email, "password": password})


async def bearer(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """The Authorization header of a successful login."""
    response = await login(client, email, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
