"""The console's "Send an intake link" form offers what the API would let the link include.

One rule (`Registry.latest_offered` / `is_offered`): a questionnaire whose licence needs
permission (De Jong Gierveld) is off until the operator names it in
`ATTUNE_QUESTIONNAIRES_ENABLED`, in the console as in the API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.console.browsing import post_form
from tests.console.test_clients import add, signed_in

DE_JONG = "de-jong-gierveld-6"


def choice(questionnaire_id: str) -> str:
    return f'<input type="checkbox" name="questionnaires" value="{questionnaire_id}"'


@pytest.fixture
async def enabled_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The same database, served by an operator who enabled De Jong Gierveld."""
    application = create_app(settings.model_copy(update={"questionnaires_enabled": [DE_JONG]}))
    async with application.router.lifespan_context(application):
        yield application


async def test_the_link_form_lists_only_what_is_offered(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await signed_in(client, app)
    target = await add(client)
    page = (await client.get(target)).text
    for offered in ("three-item-loneliness", "connection", "window-of-tolerance"):
        assert choice(offered) in page
    assert choice(DE_JONG) not in page
    # Sent anyway (an old page, a crafted form), it is refused by field, as over the API.
    refused = await post_form(
        client,
        f"{target}/invitations",
        {"questionnaires": DE_JONG, "expires_in_days": "7"},
        from_page=target,
    )
    assert refused.status_code == 422
    assert 'href="#field-questionnaires"' in refused.text


async def test_enabled_by_the_operator_the_form_offers_it(
    app: FastAPI, enabled_app: FastAPI
) -> None:
    transport = httpx.ASGITransport(app=enabled_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
        await signed_in(http, enabled_app)
        target = await add(http)
        assert choice(DE_JONG) in (await http.get(target)).text
