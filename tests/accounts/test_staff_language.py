"""A staff member's language (`users.locale`): the emails sent to them are written in it.

Set with `PATCH /v1/auth/me {"locale": ...}`, or from the console's language choice when they
sign in or switch. The emails themselves are tested where they are sent
(tests/clinic/test_attention_email.py, tests/accounts/test_password_reset.py).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.accounts.models import User
from tests.conftest import new_staff, snapshot
from tests.console.browsing import ORIGIN, csrf_of, post_form, sign_in
from tests.console.seeding import therapist


async def locale_of(app: FastAPI, user_id: uuid.UUID) -> str | None:
    async with app.state.sessionmaker() as session:
        return (await session.get_one(User, user_id)).locale


async def test_a_staff_member_sets_the_language_of_their_emails(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    staff, _, _ = await new_staff(app, "therapist")
    me = await client.get("/v1/auth/me", headers=staff)
    assert me.json()["locale"] is None  # never chosen: their emails are in English
    changed = await client.patch("/v1/auth/me", json={"locale": "es"}, headers=staff)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["locale"], changed.json()["notify_on_flag"]) == ("es", False)
    # A field left out (or null) stays as it is.
    for body in ({"notify_on_flag": True}, {"locale": None}):
        kept = await client.patch("/v1/auth/me", json=body, headers=staff)
        assert kept.status_code == 200, kept.text
        assert kept.json()["locale"] == "es"
    assert (await client.get("/v1/auth/me", headers=staff)).json()["locale"] == "es"


@pytest.mark.parametrize("value", ["fr", "ES", "es-MX", "", 1, True, ["es"]])
async def test_a_language_attune_does_not_write_is_refused_naming_the_field(
    app: FastAPI, client: httpx.AsyncClient, value: Any
) -> None:
    staff, _, _ = await new_staff(app, "therapist")
    before = await snapshot(app)
    refused = await client.patch("/v1/auth/me", json={"locale": value}, headers=staff)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["pointer"] for e in refused.json()["errors"]] == ["#/locale"]
    assert await snapshot(app) == before


async def test_the_consoles_language_choice_is_kept_for_the_staff_members_emails(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, _ = await therapist(app)
    # Signed out, they pick Spanish on the sign-in page, then sign in: it is kept.
    form = await client.get("/console/sign-in")
    switched = await client.post(
        "/console/language",
        data={"csrf_token": csrf_of(form.text), "lang": "es", "next": "/console/sign-in"},
        headers=ORIGIN,
    )
    assert switched.status_code == 303
    assert await locale_of(app, user_id) is None  # nobody is signed in yet
    assert (await sign_in(client, "sam@clinic.test")).status_code == 303
    assert await locale_of(app, user_id) == "es"
    # Signed in, they switch to English: their emails follow.
    back = await post_form(
        client, "/console/language", {"lang": "en", "next": "/console"}, from_page="/console"
    )
    assert back.status_code == 303
    assert await locale_of(app, user_id) == "en"
    # An unknown language changes nothing.
    ignored = await post_form(
        client, "/console/language", {"lang": "fr", "next": "/console"}, from_page="/console"
    )
    assert ignored.status_code == 303
    assert await locale_of(app, user_id) == "en"


async def test_signing_in_without_a_choice_keeps_the_one_set_over_the_api(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, _ = await therapist(app)
    async with app.state.sessionmaker.begin() as session:
        (await session.get_one(User, user_id)).locale = "es"
    # An English browser that never used the switch.
    client.headers["Accept-Language"] = "en-US,en;q=0.9"
    assert (await sign_in(client, "sam@clinic.test")).status_code == 303
    assert await locale_of(app, user_id) == "es"


async def test_signing_in_without_any_choice_keeps_the_pages_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id, _ = await therapist(app)
    client.headers["Accept-Language"] = "es-MX,es;q=0.9"
    assert (await sign_in(client, "sam@clinic.test")).status_code == 303
    assert await locale_of(app, user_id) == "es"


async def test_the_api_document_names_the_languages(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert schemas["StaffLanguage"]["enum"] == ["en", "es"]
    for name in ("MeUpdate", "UserRead"):
        field = schemas[name]["properties"]["locale"]
        assert {"$ref": "#/components/schemas/StaffLanguage"} in field["anyOf"], name
    assert "locale" in schemas["UserRead"]["required"]
