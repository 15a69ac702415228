"""The admin's users page: add (errors by field, no password echoed), change role, deactivate."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.accounts.staff import new_user
from tests.conftest import count, snapshot
from tests.console.browsing import post_form, sign_in


async def test_an_admin_adds_a_therapist_who_can_then_sign_in(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await new_user(app, "boss@clinic.test", "admin")
    await sign_in(client, "boss@clinic.test")
    before = await snapshot(app)
    bad = await post_form(
        client,
        "/console/admin/users",
        {"email": "new@clinic.test", "password": "short pw", "role": "therapist"},
    )
    assert bad.status_code == 422
    assert 'href="#field-password"' in bad.text
    assert 'value="new@clinic.test"' in bad.text
    assert "short pw" not in bad.text
    assert await snapshot(app) == before

    taken = await post_form(
        client,
        "/console/admin/users",
        {"email": "boss@clinic.test", "password": "a long password", "role": "therapist"},
    )
    assert taken.status_code == 422
    assert "This email is already in use." in taken.text

    added = await post_form(
        client,
        "/console/admin/users",
        {"email": "new@clinic.test", "password": "a long password", "role": "therapist"},
    )
    assert added.status_code == 303
    assert await count(app, "users") == 2
    other = httpx.AsyncClient(transport=client._transport, base_url="http://attune.test")
    async with other:
        assert (await sign_in(other, "new@clinic.test", "a long password")).status_code == 303
        assert (await other.get("/console")).status_code == 200

        page = (await client.get("/console/admin/users")).text
        therapist_id = re.findall(r'action="/console/admin/users/([0-9a-f-]+)"', page)
        ids = dict(zip(re.findall(r"<td>([^<]+@clinic.test)", page), therapist_id, strict=True))
        off = await post_form(
            client,
            f"/console/admin/users/{ids['new@clinic.test']}",
            {"role": "therapist"},
            from_page="/console/admin/users",
        )
        assert off.status_code == 303
        # Deactivated: their session ends at once.
        assert (await other.get("/console")).status_code == 303

    last = await post_form(
        client,
        f"/console/admin/users/{ids['boss@clinic.test']}",
        {"role": "therapist", "is_active": "yes"},
        from_page="/console/admin/users",
    )
    assert last.status_code == 409
    assert "last active admin" in last.text


async def test_a_therapist_cannot_open_the_users_page(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await new_user(app, "sam@clinic.test", "therapist")
    await sign_in(client, "sam@clinic.test")
    response = await client.get("/console/admin/users")
    assert response.status_code == 403
    assert "Not allowed" in response.text
