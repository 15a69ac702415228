"""The intake form over HTTP: languages, accessibility markup, saving, submitting, refusals."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.accounts.models import Organization
from app.assessments.models import Assessment, Result
from app.clinic.models import Invitation
from app.db import utcnow
from app.outbox.models import OutboxMessage
from app.respondents.models import Respondent
from tests.conftest import count, snapshot
from tests.intake.links import all_answers, make_link, radios

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


def assert_secure(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)


async def rows(app: FastAPI, model: type, **where: object) -> list:  # type: ignore[type-arg]
    async with app.state.sessionmaker() as session:
        statement = select(model).filter_by(**where)
        return list((await session.execute(statement)).scalars())


async def test_the_form_speaks_the_language_asked_for(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("window-of-tolerance",))
    spanish = await client.get(link.url, headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert spanish.status_code == 200
    assert '<html lang="es">' in spanish.text
    assert spanish.headers["content-language"] == "es"
    assert "Preguntas de tu terapeuta" in spanish.text
    assert "Tu ventana de tolerancia" in spanish.text
    assert "no un diagnóstico" in spanish.text

    chosen = await client.get(f"{link.url}?lang=en", headers={"Accept-Language": "es"})
    assert '<html lang="en">' in chosen.text
    assert "Your window of tolerance" in chosen.text
    assert "self-check, not a diagnosis" in chosen.text
    # The switch: a link per language, the current one marked, each in its own language.
    assert f'href="/intake/{link.token}?step=1&amp;lang=es" hreflang="es" lang="es"' in chosen.text
    assert 'hreflang="en" lang="en" aria-current="true"' in chosen.text


async def test_items_in_another_language_than_the_page_say_so(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("three-item-loneliness",))  # English only
    page = await client.get(link.url, headers={"Accept-Language": "es"})
    assert '<html lang="es">' in page.text
    assert 'aria-labelledby="questionnaire-title" lang="en"' in page.text


async def test_every_option_is_a_labelled_radio_in_a_fieldset(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("window-of-tolerance",))
    page = (await client.get(link.url)).text
    inputs = re.findall(r'<input type="radio" id="([^"]+)"', page)
    # 1.1.0: the four closeness items add "No one was close to me".
    assert len(inputs) == 16 * 5 + 4
    for input_id in inputs:
        assert page.count(f'<label for="{input_id}">') == 1
    assert page.count("<fieldset") == page.count("<legend>") == 16
    assert 'name="action" value="submit"' in page
    assert '<input type="checkbox" id="consent" name="consent" value="yes"' in page
    assert 'id="consent" name="consent" value="yes" aria-describedby="consent-hint">' in page
    css = await client.get("/intake/static/intake.css")
    assert css.status_code == 200
    assert ":focus-visible" in css.text


async def test_every_intake_page_has_the_security_headers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("three-item-loneliness", "connection"))
    assert_secure(await client.get(link.url))
    assert_secure(await client.post(link.url, data={"step": "1", "action": "next"}))
    assert_secure(await client.get("/intake/ati_not-a-real-token"))
    revoked = await make_link(app, revoked_at=utcnow())
    assert_secure(await client.get(revoked.url))


async def test_saved_answers_come_back_on_a_later_visit(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("three-item-loneliness", "connection"))
    page = (await client.get(link.url)).text
    first, second = list(radios(page))[:2]
    value = radios(page)[first][2]
    saved = await client.post(
        link.url, data={"step": "1", "action": "save", f"answer-{first}": str(value)}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/intake/{link.token}?step=1&saved=1"
    again = (await client.get(saved.headers["location"])).text
    assert "Your answers are saved" in again
    assert f'id="answer-{first}-{value}" name="answer-{first}" value="{value}" checked>' in again
    assert f'name="answer-{second}" value="{radios(page)[second][0]}">' in again
    assert "1 of 15 questions answered" in again

    moved = await client.post(link.url, data={"step": "1", "action": "next"})
    assert moved.headers["location"] == f"/intake/{link.token}?step=2"
    step_two = (await client.get(moved.headers["location"])).text
    assert "Part 2 of 2" in step_two
    back = await client.post(link.url, data={"step": "2", "action": "back", "lang": "es"})
    assert back.headers["location"] == f"/intake/{link.token}?step=1&lang=es"
    # One assessment per questionnaire, made on the first visit and reused since.
    assert await count(app, "assessments") == 2


async def test_missing_answers_are_shown_next_to_their_questions_and_nothing_is_sent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("three-item-loneliness", "connection"))
    page = (await client.get(link.url)).text
    items = list(radios(page))
    await client.post(link.url, data={"step": "1", "action": "next", **all_answers(page)})
    before = await snapshot(app)

    step_two = (await client.get(f"{link.url}?step=2")).text
    fields = all_answers(step_two)
    left_out = sorted(fields)[:2]
    for name in left_out:
        del fields[name]
    sent = await client.post(
        link.url, data={"step": "2", "action": "submit", "consent": "yes", **fields}
    )
    assert sent.status_code == 422
    assert_secure(sent)
    assert "<title>Error:" in sent.text
    assert 'class="error-summary" role="alert"' in sent.text
    for name in left_out:
        item = name.removeprefix("answer-")
        fieldset = f'id="item-{item}" class="item item-error" aria-describedby="error-{item}"'
        assert fieldset in sent.text
        assert f'<p class="error-message" id="error-{item}">' in sent.text
        assert f'<a href="#item-{item}">' in sent.text
    assert sent.text.count('class="error-message"') == 2
    # The answers given are kept, and the consent choice with them.
    kept = next(iter(fields))
    assert f'name="{kept}" value="{fields[kept]}" checked>' in sent.text
    assert 'value="yes" aria-describedby="consent-hint" checked>' in sent.text
    assert not any(f'id="item-{item}" class="item item-error"' in sent.text for item in items)

    after = await snapshot(app)
    assert {k: v for k, v in after.items() if k != "assessments"} == {
        k: v for k, v in before.items() if k != "assessments"
    }
    assessments = await rows(app, Assessment, invitation_id=link.invitation_id)
    assert {a.status for a in assessments} == {"in_progress"}
    assert sum(len(a.answers) for a in assessments) == 3 + 12 - 2


async def test_missing_answers_on_an_earlier_page_lead_back_to_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("three-item-loneliness", "connection"))
    step_two = (await client.get(f"{link.url}?step=2")).text
    fields = all_answers(step_two)
    gap = sorted(fields)[0].removeprefix("answer-")
    del fields[f"answer-{gap}"]
    sent = await client.post(link.url, data={"step": "2", "action": "submit", **fields})
    assert sent.status_code == 422
    assert "Part 1 of 2" in sent.text  # the first page with a gap is shown, marked
    assert sent.text.count('class="error-message"') == 3
    assert sent.text.count('<li><a href="#item-') == 3
    # The summary also lists the gap on the other page, linking to it marked there.
    other = f'href="/intake/{link.token}?step=2&amp;check=1#item-{gap}"'
    assert other in sent.text
    check = await client.get(f"{link.url}?step=2&check=1")
    assert check.text.count('class="error-message"') == 1
    assert f'id="error-{gap}"' in check.text


@pytest.mark.parametrize("show_feedback", [True, False])
async def test_a_complete_submit_sends_everything_once_and_spends_the_link(
    app: FastAPI, client: httpx.AsyncClient, show_feedback: bool
) -> None:
    link = await make_link(
        app, ("three-item-loneliness", "window-of-tolerance"), show_feedback=show_feedback
    )
    async with app.state.sessionmaker.begin() as session:
        await session.execute(
            update(Organization)
            .where(Organization.id == link.organization_id)
            .values(webhook_url="https://hooks.clinic.test/attune", webhook_secret="whsec_x")
        )
    page = (await client.get(link.url)).text
    await client.post(link.url, data={"step": "1", "action": "next", **all_answers(page, -1)})
    last = (await client.get(f"{link.url}?step=2")).text
    sent = await client.post(
        link.url, data={"step": "2", "action": "submit", "consent": "yes", **all_answers(last)}
    )
    assert sent.status_code == 200
    assert_secure(sent)
    if show_feedback:
        assert "What your answers suggest" in sent.text
        assert "Why this matters" in sent.text
        assert "not a diagnosis" in sent.text
        assert "Your window of tolerance" in sent.text
    else:
        assert "Thank you" in sent.text
        assert "What your answers suggest" not in sent.text

    assessments = await rows(app, Assessment, invitation_id=link.invitation_id)
    assert {(a.status, a.source, a.research_consent) for a in assessments} == {
        ("submitted", "intake", True)
    }
    assert await count(app, "results") == 2
    (invitation,) = await rows(app, Invitation, id=link.invitation_id)
    assert invitation.used_at is not None
    assert invitation.research_consent is True
    (respondent,) = await rows(app, Respondent, id=link.respondent_id)
    assert respondent.research_consent is True
    (delivery,) = await rows(app, OutboxMessage, organization_id=link.organization_id)
    assert (delivery.channel, delivery.kind) == ("webhook", "intake.completed")
    assert set(delivery.payload) == {
        "invitation_id", "client_id", "assessment_ids", "flags", "completed_at"
    }  # fmt: skip
    assert sorted(delivery.payload["assessment_ids"]) == sorted(str(a.id) for a in assessments)

    again = await client.get(link.url)
    if show_feedback:
        # The feedback stays readable (read-only) until the link expires, and says so.
        assert again.status_code == 200
        assert_secure(again)
        assert "What your answers suggest" in again.text
        assert "You can open this page again with the same link until" in again.text
        assert "<form" not in again.text
    else:
        assert again.status_code == 410
        assert "This link can no longer be used" in again.text
        assert "ask your therapist for a new one" in again.text
    resent = await client.post(link.url, data={"step": "2", "action": "submit"})
    assert resent.status_code == 410
    assert await count(app, "results") == 2


# Revved up (three of the four hyperarousal items at "almost always") with nothing settling
# (every ventral item at "never"): in 1.1.0 the high-hyperarousal flag and the flag for being
# outside the window with little settling both fire.
FLAG_RAISING = {"hyper-on-edge": 4, "hyper-racing": 4, "hyper-reactive": 4}


@pytest.mark.parametrize(
    ("raised", "flags"),
    [(FLAG_RAISING, ["hyperarousal-high", "outside-window-little-settling"]), ({}, [])],
    ids=["flagged", "not-flagged"],
)
async def test_feedback_puts_support_first_when_a_flag_fires(
    app: FastAPI, client: httpx.AsyncClient, raised: dict[str, int], flags: list[str]
) -> None:
    link = await make_link(app, ("window-of-tolerance",))
    page = (await client.get(link.url)).text
    answers = all_answers(page, 0) | {f"answer-{item}": str(v) for item, v in raised.items()}
    sent = await client.post(link.url, data={"step": "1", "action": "submit", **answers})
    assert sent.status_code == 200
    (result,) = await rows(app, Result)
    assert (result.flagged, result.score["flags"]) == (bool(flags), flags)
    html = sent.text
    if flags:
        assert html.index('class="support support-urgent"') < html.index('class="result"')
    else:
        assert 'class="support support-urgent"' not in html
        assert html.index('class="result"') < html.index('class="support"')


@pytest.mark.parametrize(
    ("columns", "wording"),
    [
        ({"revoked_at": utcnow()}, "This link was withdrawn."),
        ({"expires_at": utcnow() - timedelta(minutes=1)}, "The time for this link has run out."),
        ({"used_at": utcnow()}, "already been answered"),
    ],
)
async def test_a_spent_link_is_refused_kindly(
    app: FastAPI, client: httpx.AsyncClient, columns: dict[str, object], wording: str
) -> None:
    link = await make_link(app, **columns)
    for response in (
        await client.get(link.url),
        await client.post(link.url, data={"step": "1", "action": "save"}),
    ):
        assert response.status_code == 410
        assert wording in response.text
        assert "please ask your therapist for a new one" in response.text
    spanish = await client.get(link.url, headers={"Accept-Language": "es"})
    assert "pide a tu terapeuta un enlace nuevo" in spanish.text
    assert await count(app, "assessments") == 0


async def test_an_unknown_link_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/intake/ati_nothing-like-this-exists")
    assert response.status_code == 404
    assert "We cannot find this link" in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_two_windows_submitting_at_once_give_one_winner(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("three-item-loneliness",))
    page = (await client.get(link.url)).text
    fields = {"step": "1", "action": "submit", **all_answers(page)}
    await client.post(link.url, data={**fields, "action": "save"})
    first, second = await asyncio.gather(
        client.post(link.url, data=fields), client.post(link.url, data=fields)
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses[0] == 200, (first.text, second.text)
    assert statuses[1] in (409, 410)
    assert await count(app, "results") == 1
