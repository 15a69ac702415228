"""A link made while De Jong Gierveld was enabled, after the operator turns it off.

While a `requires_permission` questionnaire is off it is not listed, servable or invitable
(`Registry.is_offered`, the one rule). A link that already names it keeps working for its other
questionnaires: the form leaves that one out and says so kindly, the API refuses to answer or
submit it (problem+json), and answering the rest spends the link. A link with nothing left to
answer says its questions are no longer offered (410). Its stored answers stay as they were.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.assessments.models import Assessment
from app.clinic.models import Invitation
from app.config import Settings
from app.main import create_app
from tests.api.answering import answer_all, questionnaire, submit
from tests.conftest import count, snapshot
from tests.intake.links import all_answers, make_link, radios
from tests.intake.test_form import rows

DE_JONG = "de-jong-gierveld-6"
THREE_ITEM = "three-item-loneliness"
DE_JONG_ITEMS = {
    "emptiness",
    "miss-people-around",
    "feel-rejected",
    "rely-on",
    "trust-completely",
    "feel-close-to",
}
NO_LONGER = "De Jong Gierveld Loneliness Scale (6 items) is no longer offered here"


@pytest.fixture
async def enabled_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The same database, served while the operator had De Jong Gierveld enabled."""
    application = create_app(settings.model_copy(update={"questionnaires_enabled": [DE_JONG]}))
    async with application.router.lifespan_context(application):
        yield application


def http(application: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application)
    return httpx.AsyncClient(transport=transport, base_url="http://attune.test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_form_leaves_it_out_kindly_and_the_rest_still_works(
    app: FastAPI, enabled_app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (THREE_ITEM, DE_JONG))
    async with http(enabled_app) as before_off:
        first = (await before_off.get(link.url)).text
        assert "Part 1 of 2" in first
        assert NO_LONGER not in first
        # The person answers part of De Jong Gierveld while it is still offered.
        step_two = (await before_off.get(f"{link.url}?step=2")).text
        assert set(radios(step_two)) == DE_JONG_ITEMS
        saved = await before_off.post(
            link.url, data={"step": "2", "action": "save", "answer-emptiness": "1"}
        )
        assert saved.status_code == 303

    # The operator turns it off (`app` runs without ATTUNE_QUESTIONNAIRES_ENABLED).
    for lang in ("en", "es"):
        page = await client.get(f"{link.url}?lang={lang}")
        assert page.status_code == 200
        assert ("Part 1 of 1" if lang == "en" else "Parte 1 de 1") in page.text
        assert set(radios(page.text)) == {"lack-companionship", "left-out", "isolated"}
        notice = NO_LONGER if lang == "en" else "(6 items) ya no se ofrece aquí"
        assert notice in page.text
    # Asking for its step directly shows the last step that is still offered, not it.
    asked = (await client.get(f"{link.url}?step=2")).text
    assert not set(radios(asked)) & DE_JONG_ITEMS
    # Its answers cannot be sent through the form either: the page has only its own items.
    sent = await client.post(
        link.url,
        data={"step": "2", "action": "submit", "answer-feel-rejected": "1", **all_answers(asked)},
    )
    assert sent.status_code == 200, sent.text
    assert "What your answers suggest" in sent.text
    (invitation,) = await rows(app, Invitation, id=link.invitation_id)
    assert invitation.used_at is not None
    stored = {
        a.questionnaire_id: a for a in await rows(app, Assessment, invitation_id=link.invitation_id)
    }
    assert stored[THREE_ITEM].status == "submitted"
    # The answer given while it was offered is kept as it was; nothing was added or scored.
    assert (stored[DE_JONG].status, stored[DE_JONG].answers) == ("in_progress", {"emptiness": 1})
    assert await count(app, "results") == 1


async def test_over_the_api_it_is_refused_and_the_rest_spends_the_link(
    app: FastAPI, enabled_app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (THREE_ITEM, DE_JONG))
    auth = bearer(link.token)
    async with http(enabled_app) as before_off:
        started = await before_off.post(
            "/v1/assessments", json={"questionnaire_id": DE_JONG}, headers=auth
        )
        assert started.status_code == 201, started.text
        de_jong_url = f"/v1/assessments/{started.json()['id']}"
        served = await questionnaire(before_off, DE_JONG)

    before = await snapshot(app)
    saved = await client.put(
        f"{de_jong_url}/answers", json={"answers": answer_all(served)}, headers=auth
    )
    assert saved.status_code == 403
    assert saved.headers["content-type"] == "application/problem+json"
    problem = saved.json()
    assert problem["status"] == 403
    assert problem["questionnaire_id"] == DE_JONG
    assert "no longer offered here" in problem["detail"]
    refused = await submit(client, auth, started.json()["id"])
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    again = await client.post("/v1/assessments", json={"questionnaire_id": DE_JONG}, headers=auth)
    assert again.status_code == 422
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["errors"][0]["pointer"] == "#/questionnaire_id"
    assert await snapshot(app) == before
    # What is stored still reads back: the assessment is the person's own.
    assert (await client.get(de_jong_url, headers=auth)).status_code == 200

    # The rest of the link still works, and answering it is enough to complete the link.
    three = await client.post(
        "/v1/assessments",
        json={
            "questionnaire_id": THREE_ITEM,
            "answers": answer_all(await questionnaire(client, THREE_ITEM)),
        },
        headers=auth,
    )
    assert three.status_code == 201, three.text
    assert (await submit(client, auth, three.json()["id"])).status_code == 200
    (invitation,) = await rows(app, Invitation, id=link.invitation_id)
    assert invitation.used_at is not None


async def test_a_link_with_nothing_left_to_answer_says_so(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (DE_JONG,))
    before = await snapshot(app)
    shown = await client.get(link.url)
    assert shown.status_code == 410
    assert "The questions of this link are no longer offered here." in shown.text
    assert "ask your therapist for a new one" in shown.text
    posted = await client.post(link.url, data={"step": "1", "action": "submit"})
    assert posted.status_code == 410
    spanish = await client.get(link.url, headers={"Accept-Language": "es"})
    assert "Las preguntas de este enlace ya no se ofrecen aquí." in spanish.text
    assert await snapshot(app) == before
