"""The opt-in "a result needs your attention" email: once per flagged result, nothing more."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.attention import notify_flagged
from app.assessments.models import Assessment, Result
from app.outbox.models import OutboxMessage
from app.outbox.worker import deliver_due
from tests.api.answering import start, submit
from tests.clinic.conftest import CALM, FLAGGING, PUBLIC_URL, add_client, answers
from tests.conftest import new_staff
from tests.mailserver import MailServer

LABEL = "Robin (Thursdays)"
QUESTIONNAIRE = "window-of-tolerance"


async def therapist(client: httpx.AsyncClient, app: FastAPI, opt_in: bool) -> dict[str, str]:
    staff, _, _ = await new_staff(app, "therapist")
    if opt_in:
        changed = await client.patch("/v1/auth/me", json={"notify_on_flag": True}, headers=staff)
        assert changed.status_code == 200, changed.text
        assert changed.json()["notify_on_flag"] is True
    return staff


async def answer_by_form(
    app: FastAPI, client: httpx.AsyncClient, staff: dict[str, str], high: set[str]
) -> str:
    """Invite a new client and submit the form with these answers; the intake link's path."""
    person = await add_client(client, staff, LABEL)
    created = await client.post(
        f"/v1/clients/{person['id']}/invitations",
        json={"questionnaires": [QUESTIONNAIRE]},
        headers=staff,
    )
    assert created.status_code == 201, created.text
    path = created.json()["url"].removeprefix(PUBLIC_URL)
    assert (await client.get(path)).status_code == 200
    chosen = answers(app.state.registry.get(QUESTIONNAIRE), high)
    form = {f"answer-{item}": str(value) for item, value in chosen.items()}
    sent = await client.post(path, data={"step": "1", "action": "submit", **form})
    assert sent.status_code == 200, sent.text
    return path


async def emails(app: FastAPI) -> list[OutboxMessage]:
    async with app.state.sessionmaker() as session:
        statement = select(OutboxMessage).where(OutboxMessage.channel == "email")
        return list((await session.execute(statement)).scalars())


async def test_a_flagged_result_emails_the_therapist_who_opted_in_once(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff = await therapist(client, mailing_app, opt_in=True)
    me = (await client.get("/v1/auth/me", headers=staff)).json()
    await answer_by_form(mailing_app, client, staff, FLAGGING)
    async with mailing_app.state.sessionmaker() as session:
        (result,) = (await session.execute(select(Result))).scalars()
    assert result.flagged
    (queued,) = await emails(mailing_app)
    assert (queued.kind, queued.dedup_key) == ("attention", f"attention:{result.id}")
    # Exactly once per result: announcing the same intake again adds nothing.
    async with mailing_app.state.sessionmaker.begin() as session:
        assessment = await session.get_one(Assessment, result.assessment_id)
        assert assessment.invitation_id is not None
        settings = mailing_app.state.settings
        assert await notify_flagged(session, settings, assessment.invitation_id) == 0
    assert len(await emails(mailing_app)) == 1

    assert await deliver_due(mailing_app.state.sessionmaker, mailing_app.state.outbox_channels)
    (received,) = mail.mailbox.wait_for(1)
    message = received.message
    assert received.recipients == [me["email"]]
    assert message["Subject"] == "A result needs your attention"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    link = f"{PUBLIC_URL}/console/results/{result.id}"
    assert link in text.get_content()
    assert f'href="{link}"' in html.get_content()
    # Nothing else: no client, questionnaire, scale, score or flag.
    everything = (text.get_content() + html.get_content() + message["Subject"]).lower()
    for word in (LABEL.lower(), "window", "tolerance", "hyperarousal", "flag", "score"):
        assert word not in everything
    links = re.findall(r"https?://[^\s\"<]+", text.get_content())
    assert links == [link]


async def test_an_intake_answered_over_the_api_emails_too(
    mailing_app: FastAPI, client: httpx.AsyncClient
) -> None:
    staff = await therapist(client, mailing_app, opt_in=True)
    person = await add_client(client, staff, LABEL)
    created = await client.post(
        f"/v1/clients/{person['id']}/invitations",
        json={"questionnaires": [QUESTIONNAIRE]},
        headers=staff,
    )
    token = created.json()["url"].rsplit("/", 1)[1]
    auth = {"Authorization": f"Bearer {token}"}
    chosen = answers(mailing_app.state.registry.get(QUESTIONNAIRE), FLAGGING)
    assessment = await start(client, auth, QUESTIONNAIRE, chosen)
    assert (await submit(client, auth, assessment["id"])).status_code == 200
    (queued,) = await emails(mailing_app)
    assert queued.kind == "attention"
    # The link is spent by that submit: its token opens nothing more, and nothing is queued.
    assert (await submit(client, auth, assessment["id"])).status_code == 401
    assert len(await emails(mailing_app)) == 1


@pytest.mark.parametrize(("opt_in", "high"), [(False, FLAGGING), (True, CALM)])
async def test_no_email_without_the_opt_in_or_without_a_flag(
    mailing_app: FastAPI, client: httpx.AsyncClient, opt_in: bool, high: set[str]
) -> None:
    staff = await therapist(client, mailing_app, opt_in)
    await answer_by_form(mailing_app, client, staff, high)
    async with mailing_app.state.sessionmaker() as session:
        (result,) = (await session.execute(select(Result))).scalars()
    assert result.flagged is (high == FLAGGING)
    assert await emails(mailing_app) == []


async def test_the_opt_in_refuses_a_wrong_type_and_changes_nothing(
    mailing_app: FastAPI, client: httpx.AsyncClient
) -> None:
    staff = await therapist(client, mailing_app, opt_in=False)
    for body in ({"notify_on_flag": "yes"}, {"notify_on_flag": True, "role": "admin"}):
        refused = await client.patch("/v1/auth/me", json=body, headers=staff)
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/v1/auth/me", headers=staff)).json()["notify_on_flag"] is False


async def test_the_email_is_in_the_therapists_language(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff = await therapist(client, mailing_app, opt_in=True)
    chose = await client.patch("/v1/auth/me", json={"locale": "es"}, headers=staff)
    assert chose.status_code == 200, chose.text
    await answer_by_form(mailing_app, client, staff, FLAGGING)
    async with mailing_app.state.sessionmaker() as session:
        (result,) = (await session.execute(select(Result))).scalars()
    assert await deliver_due(mailing_app.state.sessionmaker, mailing_app.state.outbox_channels)
    (received,) = mail.mailbox.wait_for(1)
    message = received.message
    assert message["Subject"] == "Un resultado necesita tu atención"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    link = f"{PUBLIC_URL}/console/results/{result.id}"
    assert "necesita tu atención" in text.get_content()
    assert link in text.get_content()
    assert f'href="{link}"' in html.get_content()
    assert '<html lang="es">' in html.get_content()
    assert "needs your attention" not in text.get_content() + html.get_content()
