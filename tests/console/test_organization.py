"""An admin's webhook and audit log pages."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.models import Organization
from app.audit.service import record
from app.clinic.encryption import decrypt_secret
from tests.accounts.staff import new_user
from tests.conftest import snapshot
from tests.console.browsing import post_form, sign_in


async def test_an_admin_sets_sees_and_removes_the_webhook(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await new_user(app, "boss@clinic.test", "admin")
    await sign_in(client, "boss@clinic.test")
    before = await snapshot(app)
    bad = await post_form(client, "/console/admin/webhook", {"url": "http://clinic.example/h"})
    assert bad.status_code == 422
    assert 'href="#field-url"' in bad.text
    assert 'value="http://clinic.example/h"' in bad.text
    assert await snapshot(app) == before

    made = await post_form(client, "/console/admin/webhook", {"url": "https://clinic.example/h"})
    assert made.status_code == 200
    async with app.state.sessionmaker() as session:
        organization = (await session.execute(select(Organization))).scalar_one()
    assert organization.webhook_secret
    # Stored encrypted; the secret itself is shown this once.
    secret = decrypt_secret(
        app.state.settings.secret_key.get_secret_value(), organization.webhook_secret
    )
    assert secret in made.text
    page = await client.get("/console/admin/webhook")
    assert secret not in page.text
    assert "https://clinic.example/h" in page.text

    removed = await post_form(
        client, "/console/admin/webhook/remove", {}, from_page="/console/admin/webhook"
    )
    assert removed.status_code == 303
    assert "No webhook is set" in (await client.get("/console/admin/webhook")).text


async def test_the_audit_log_filters_by_action(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin_id, organization_id = await new_user(app, "boss@clinic.test", "admin")
    _, elsewhere = await new_user(app, "them@elsewhere.test", "admin")
    async with app.state.sessionmaker.begin() as session:
        for action, target, org in (
            ("result.read", "client-one", organization_id),
            ("research.export", "export-one", organization_id),
            ("research.export", "not-ours", elsewhere),
        ):
            await record(
                session, action, organization_id=org, actor_user_id=admin_id, target=target
            )
    await sign_in(client, "boss@clinic.test")
    everything = (await client.get("/console/admin/audit")).text
    assert "client-one" in everything
    assert "export-one" in everything
    assert "not-ours" not in everything
    filtered = (await client.get("/console/admin/audit?action=research.export")).text
    assert "export-one" in filtered
    assert "client-one" not in filtered
    assert (
        "Nothing recorded for result.missing"
        in (await client.get("/console/admin/audit?action=result.missing")).text
    )
