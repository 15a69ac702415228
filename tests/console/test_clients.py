"""Client pages: add and edit, errors by field, once-only forms, intake links sent and revoked."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.conftest import count, snapshot
from tests.console.browsing import ORIGIN, csrf_of, post_form, sign_in
from tests.console.seeding import therapist

NONCE = re.compile(r'name="form_nonce" value="([^"]+)"')


async def signed_in(
    client: httpx.AsyncClient, app: FastAPI, email: str = "sam@clinic.test"
) -> None:
    await therapist(app, email)
    response = await sign_in(client, email)
    assert response.status_code == 303


async def add(client: httpx.AsyncClient, label: str = "J. (Tuesdays)") -> str:
    response = await post_form(
        client, "/console/clients", {"label": label, "email": ""}, from_page="/console/clients/new"
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).split("?")[0]


async def test_a_client_form_with_mistakes_names_each_field_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await signed_in(client, app)
    before = await snapshot(app)
    response = await post_form(
        client,
        "/console/clients",
        {"label": "  ", "email": "not an email"},
        from_page="/console/clients/new",
    )
    assert response.status_code == 422
    html = response.text
    assert 'role="alert"' in html
    assert 'href="#field-label"' in html
    assert 'href="#field-email"' in html
    assert 'id="error-label"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="not an email"' in html
    assert await snapshot(app) == before


async def test_a_double_submitted_client_form_adds_one_client(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await signed_in(client, app)
    form_page = (await client.get("/console/clients/new")).text
    data = {
        "csrf_token": csrf_of(form_page),
        "form_nonce": NONCE.search(form_page).group(1),  # type: ignore[union-attr]
        "label": "Alex",
        "email": "Alex@Example.org",
    }
    first = await client.post("/console/clients", data=data, headers=ORIGIN)
    second = await client.post("/console/clients", data=data, headers=ORIGIN)
    assert first.status_code == second.status_code == 303
    target = first.headers["location"].split("?")[0]
    assert second.headers["location"] == target
    assert await count(app, "clients") == 1
    shown = await client.get(target)
    assert "Alex" in shown.text
    assert "alex@example.org" in shown.text

    edited = await post_form(
        client, f"{target}/edit", {"label": "Alex M.", "email": ""}, from_page=f"{target}/edit"
    )
    assert edited.status_code == 303
    assert "Alex M." in (await client.get(target)).text


async def test_an_intake_link_is_shown_once_with_a_qr_code_and_can_be_revoked(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await signed_in(client, app)
    target = await add(client)
    before = await snapshot(app)
    bad = await post_form(
        client, f"{target}/invitations", {"expires_in_days": "31"}, from_page=target
    )
    assert bad.status_code == 422
    assert 'href="#field-questionnaires"' in bad.text
    assert 'href="#field-expires_in_days"' in bad.text
    assert 'value="31"' in bad.text
    assert await snapshot(app) == before

    page = (await client.get(target)).text
    data = {
        "csrf_token": csrf_of(page),
        "form_nonce": NONCE.search(page).group(1),  # type: ignore[union-attr]
        "questionnaires": ["three-item-loneliness", "connection"],
        "expires_in_days": "3",
        "show_feedback": "yes",
    }
    made = await client.post(f"{target}/invitations", data=data, headers=ORIGIN)
    assert made.status_code == 201
    url = re.search(r'<code id="intake-url">([^<]+)</code>', made.text).group(1)  # type: ignore[union-attr]
    assert "/intake/ati_" in url
    assert "<svg" in made.text
    assert "QR code of the intake link" in made.text
    path = url.split("127.0.0.1:8000")[1]
    assert (await client.get(path)).status_code == 200

    again = await client.post(f"{target}/invitations", data=data, headers=ORIGIN)
    assert again.status_code == 303
    assert again.headers["location"] == f"{target}?again=1"
    assert await count(app, "invitations") == 1
    listed = (await client.get(target)).text
    assert path.split("/intake/")[1] not in listed  # never shown again
    assert ">pending<" in listed

    invitation_id = re.search(r"/console/invitations/([0-9a-f-]+)/revoke", listed).group(1)  # type: ignore[union-attr]
    revoked = await post_form(
        client, f"/console/invitations/{invitation_id}/revoke", {}, from_page=target
    )
    assert revoked.status_code == 303
    assert ">revoked<" in (await client.get(target)).text
    assert (await client.get(path)).status_code == 410


async def test_another_organizations_client_is_not_found(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await signed_in(client, app)
    target = await add(client)
    client.cookies.clear()
    await signed_in(client, app, "other@elsewhere.test")
    for path in (target, f"{target}/edit", "/console/clients/not-an-id"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "Page not found" in response.text
        assert "J. (Tuesdays)" not in response.text
    assert "J. (Tuesdays)" not in (await client.get("/console/clients")).text
