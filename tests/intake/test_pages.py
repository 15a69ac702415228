"""The form on a phone: long questionnaires in short pages, a language switch that saves and
is remembered, and dates in the client's language and the organization's time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from app.accounts.models import Organization
from app.assessments.models import Assessment
from app.clinic.models import Invitation
from app.intake.paging import page_of_item, pages_of, split
from app.security import hash_token, new_token
from tests.conftest import count, snapshot
from tests.intake.links import Link, all_answers, make_link, radios
from tests.intake.test_form import assert_secure

WOT = "window-of-tolerance"
CHECKED = re.compile(r'name="answer-([^"]+)" value="(-?\d+)" checked>')


def checked(html: str) -> dict[str, str]:
    """The answers a page shows as chosen."""
    return dict(CHECKED.findall(html))


async def answers_of(app: FastAPI, link: Link) -> dict[str, int]:
    async with app.state.sessionmaker() as session:
        statement = select(Assessment).where(Assessment.invitation_id == link.invitation_id)
        (assessment,) = (await session.execute(statement)).scalars()
        return dict(assessment.answers)


async def invitation_of(app: FastAPI, link: Link) -> Invitation:
    async with app.state.sessionmaker() as session:
        return await session.get_one(Invitation, link.invitation_id)


def test_pages_are_as_few_as_fit_and_nearly_equal() -> None:
    assert split(16) == [(0, 6), (6, 11), (11, 16)]
    assert split(6) == [(0, 6)]
    assert split(7) == [(0, 4), (4, 7)]
    assert split(3) == [(0, 3)]
    assert split(12) == [(0, 6), (6, 12)]
    pages = pages_of([3, 16])
    assert [(p.part, p.start, p.stop, p.number_in_part, p.pages_in_part) for p in pages] == [
        (0, 0, 3, 1, 1),
        (1, 0, 6, 1, 3),
        (1, 6, 11, 2, 3),
        (1, 11, 16, 3, 3),
    ]
    assert page_of_item(pages, 1, 6) == 3
    assert page_of_item(pages, 0, 2) == 1


async def test_a_long_questionnaire_is_cut_into_pages_each_a_save_point(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (WOT,))
    first = (await client.get(link.url)).text
    assert "Page 1 of 3" in first
    assert "Questions 1 to 6 of 16" in first
    assert first.count('<fieldset id="item-') == 6
    assert "Question 1</span>" in first
    assert 'name="consent"' not in first
    assert 'value="back"' not in first

    saved = await client.post(link.url, data={"step": "1", "action": "next", **all_answers(first)})
    assert saved.headers["location"] == f"{link.url}?step=2"
    assert len(await answers_of(app, link)) == 6  # saved before moving on

    second = (await client.get(saved.headers["location"])).text
    assert "Page 2 of 3" in second
    assert "Questions 7 to 11 of 16" in second
    assert "Question 7</span>" in second
    assert "6 of 16 questions answered" in second
    assert not set(radios(second)) & set(radios(first))
    # Back saves this page too, and shows the earlier one as it was left.
    page_two = all_answers(second, 1)
    back = await client.post(link.url, data={"step": "2", "action": "back", **page_two})
    assert back.headers["location"] == f"{link.url}?step=1"
    assert checked((await client.get(back.headers["location"])).text) == {
        k.removeprefix("answer-"): v for k, v in all_answers(first).items()
    }
    assert checked((await client.get(f"{link.url}?step=2")).text) == {
        k.removeprefix("answer-"): v for k, v in page_two.items()
    }
    assert len(await answers_of(app, link)) == 11

    # A page number past the end shows the last page; it has the consent and the Send button.
    third = (await client.get(f"{link.url}?step=9")).text
    assert "Page 3 of 3" in third
    assert 'name="consent"' in third
    sent = await client.post(link.url, data={"step": "3", "action": "submit", **all_answers(third)})
    assert sent.status_code == 200, sent.text
    assert await count(app, "assessments") == 1
    assert await count(app, "results") == 1
    again = await client.post(link.url, data={"step": "3", "action": "submit"})
    assert again.status_code == 410
    assert await count(app, "results") == 1


async def test_the_error_summary_lists_each_pages_gaps_and_leads_to_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (WOT,))
    first = (await client.get(link.url)).text
    fields = all_answers(first)
    gaps = sorted(fields)[:2]
    for name in gaps:
        del fields[name]
    await client.post(link.url, data={"step": "1", "action": "next", **fields})
    second = (await client.get(f"{link.url}?step=2")).text
    await client.post(link.url, data={"step": "2", "action": "next", **all_answers(second)})
    third = (await client.get(f"{link.url}?step=3")).text
    fields = all_answers(third)
    late_gap = sorted(fields)[0]
    del fields[late_gap]

    sent = await client.post(link.url, data={"step": "3", "action": "submit", **fields})
    assert sent.status_code == 422
    # The first page with a gap is shown, its own gaps marked and linked on the page ...
    assert "Page 1 of 3" in sent.text
    assert sent.text.count('class="error-message"') == 2
    for name in gaps:
        assert f'<a href="#item-{name.removeprefix("answer-")}">' in sent.text
    # ... and the gap on page 3 links to that page, where it is marked.
    item = late_gap.removeprefix("answer-")
    assert f'href="{link.url}?step=3&amp;check=1#item-{item}"' in sent.text
    marked = (await client.get(f"{link.url}?step=3&check=1")).text
    assert marked.count('class="error-message"') == 1
    assert f'id="error-{item}"' in marked
    assert await count(app, "results") == 0
    assert len(await answers_of(app, link)) == 16 - 3


async def test_switching_language_saves_the_page_first_and_is_remembered(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (WOT,))
    english = {"Accept-Language": "en-US,en;q=0.9"}
    first = (await client.get(link.url, headers=english)).text
    assert '<html lang="en">' in first
    four = dict(sorted(all_answers(first, 2).items())[:4])

    # "Español" is a button of the form: the four answers are saved, then the page comes back.
    switched = await client.post(
        link.url, data={"step": "1", "switch": "es", **four}, headers=english
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == f"{link.url}?step=1"
    again = (await client.get(switched.headers["location"], headers=english)).text
    assert '<html lang="es">' in again
    assert "Página 1 de 3" in again
    assert checked(again) == {k.removeprefix("answer-"): v for k, v in four.items()}
    assert '<input type="hidden" name="lang" value="es">' in again
    assert (await invitation_of(app, link)).language == "es"

    # Reopened later, from a browser that prefers English: still Spanish.
    reopened = await client.get(f"{link.url}?step=2", headers=english)
    assert '<html lang="es">' in reopened.text
    # `?lang=` shows one page in another language without changing what is remembered.
    peek = await client.get(f"{link.url}?lang=en")
    assert '<html lang="en">' in peek.text
    assert (await invitation_of(app, link)).language == "es"

    # On the last page the switch saves and switches; it never sends the answers.
    last = (await client.get(f"{link.url}?step=3")).text
    sent = await client.post(
        link.url,
        data={"step": "3", "switch": "en", "action": "submit", **all_answers(last)},
    )
    assert sent.headers["location"] == f"{link.url}?step=3"
    assert (await invitation_of(app, link)).language == "en"
    assert await count(app, "results") == 0
    assert len(await answers_of(app, link)) == 4 + 5


async def test_a_new_link_opens_in_the_language_its_client_chose_before(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    earlier = await make_link(app, ("three-item-loneliness",), language="es")
    token = new_token("ati")
    async with app.state.sessionmaker.begin() as session:
        row = await session.get_one(Invitation, earlier.invitation_id)
        session.add(
            Invitation(
                organization_id=row.organization_id,
                client_id=row.client_id,
                created_by=row.created_by,
                token_hash=hash_token(token),
                questionnaires=row.questionnaires,
                expires_at=row.expires_at,
            )
        )
    page = await client.get(f"/intake/{token}", headers={"Accept-Language": "en"})
    assert '<html lang="es">' in page.text
    other = await make_link(app, ("three-item-loneliness",))
    page = await client.get(other.url, headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.text  # another client's choice is not theirs


async def test_dates_are_in_the_clients_language_and_the_organizations_zone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    expires = datetime(2027, 1, 15, 20, 30, tzinfo=UTC)
    link = await make_link(app, ("three-item-loneliness",), expires_at=expires)
    async with app.state.sessionmaker.begin() as session:
        await session.execute(
            update(Organization)
            .where(Organization.id == link.organization_id)
            .values(time_zone="America/Mexico_City")
        )
    spanish = (await client.get(link.url, headers={"Accept-Language": "es"})).text
    assert "hasta el 15 de enero de 2027, 14:30 (hora estándar central)" in spanish
    english = (await client.get(link.url, headers={"Accept-Language": "en"})).text
    assert "until January 15, 2027, 2:30\u202fPM (Central Standard Time)" in english
    for page in (spanish, english):
        assert "2027-01-15" not in page

    sent = await client.post(
        link.url, data={"step": "1", "action": "submit", "lang": "es", **all_answers(english)}
    )
    assert sent.status_code == 200
    assert "hasta el 15 de enero de 2027, 14:30 (hora estándar central)" in sent.text
    # The feedback read again later: the remembered language and the same zone.
    later = await client.get(link.url, headers={"Accept-Language": "en"})
    assert '<html lang="es">' in later.text
    assert "15 de enero de 2027, 14:30 (hora estándar central)" in later.text


async def test_every_page_offers_a_skip_link_to_its_main_content(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app)
    spent = await make_link(app, revoked_at=datetime.now(UTC))
    for response in (
        await client.get(link.url),
        await client.get(spent.url),
        await client.get("/intake/ati_not-a-real-token"),
        await client.get(link.url, headers={"Accept-Language": "es"}),
    ):
        # Nothing focusable before it (the form's hidden default button is never focused).
        before = response.text.split("<body>", 1)[1].split('<a class="skip-link" href="#main">')
        assert len(before) == 2
        assert re.sub(r"<button [^>]* hidden></button>", "", before[0]).strip() == ""
        assert '<main id="main" tabindex="-1">' in response.text
    assert "Ir al contenido principal" in response.text


async def test_an_answer_that_is_no_option_is_refused_on_its_question_and_nothing_saved(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, (WOT,))
    first = (await client.get(link.url)).text
    fields = all_answers(first)
    bad, good = sorted(fields)[:2]
    await client.get(f"{link.url}?step=2")  # the assessment exists: the snapshot is stable
    before = await snapshot(app)
    for value in ("99", "not-a-number"):
        sent = await client.post(
            link.url, data={"step": "1", "action": "next", bad: value, good: fields[good]}
        )
        assert sent.status_code == 422
        assert_secure(sent)
        item = bad.removeprefix("answer-")
        assert f'<p class="error-message" id="error-{item}">' in sent.text
        assert f'<a href="#item-{item}">' in sent.text
        assert "Page 1 of 3" in sent.text
        assert await snapshot(app) == before  # not even the good answer beside it
