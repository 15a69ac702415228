"""After sending, the client reads how to withdraw consent or have their answers deleted."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.intake.links import all_answers, make_link

NOTICE = {
    "en": "If you no longer want them used for research, or you want them deleted, tell your "
    "therapist or the clinic",
    "es": "Si ya no quieres que se usen para investigación, o quieres que se borren, díselo a "
    "tu terapeuta o a la clínica",
}


@pytest.mark.parametrize("show_feedback", [True, False])
@pytest.mark.parametrize("lang", ["en", "es"])
async def test_the_last_page_says_how_to_withdraw_or_be_erased(
    app: FastAPI, client: httpx.AsyncClient, show_feedback: bool, lang: str
) -> None:
    link = await make_link(app, ("three-item-loneliness",), show_feedback=show_feedback)
    page = await client.get(f"{link.url}?lang={lang}")
    fields = {"step": "1", "action": "submit", "lang": lang, **all_answers(page.text)}

    sent = await client.post(link.url, data=fields)

    assert sent.status_code == 200
    assert NOTICE[lang] in sent.text
    assert ("Thank you" in sent.text or "Gracias" in sent.text) is not show_feedback
