"""The console in English and Spanish: every text in both, the staff member's choice of
language, every page rendered in Spanish with no English text left, the reset pages and
email in the language asked in, and the feedback shown as the client saw it."""

from __future__ import annotations

import json
import re
import string
import uuid
from datetime import UTC, timedelta
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts import pages as reset_pages
from app.accounts import passwords
from app.accounts.models import Organization, User
from app.clinic import service
from app.clinic.models import Client, Invitation
from app.config import Settings
from app.console.texts import STRINGS
from app.db import utcnow
from app.i18n import LANGUAGE_COOKIE, choose_locale
from app.mail.messages import PasswordResetMessage
from app.outbox.channels.email import PURPOSE
from app.outbox.models import OutboxMessage
from app.research.models import Study
from app.schedules.models import Occurrence, Schedule
from app.schedules.tick import tick
from app.sealing import unseal
from tests.accounts.staff import PASSWORD, new_user
from tests.console.browsing import ORIGIN, csrf_of, post_form, sign_in
from tests.console.seeding import clients_with_results
from tests.console.test_support_and_studies import make_study
from tests.intake.links import all_answers, make_link
from tests.security.test_access_matrix import app_routes

CATALOGUES = {"console": STRINGS, "reset pages": reset_pages.STRINGS}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No background worker or ticker: the emails and check-ins the pages show stay as the
    test made them."""
    return Settings(
        database_url=database_url,
        environment="test",
        max_body_bytes=16 * 1024,
        outbox_poll_seconds=0,
    )


def fields(text: str) -> set[str]:
    """The `{name}` fields of a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("catalogue", sorted(CATALOGUES))
def test_every_text_is_in_every_language_with_the_same_fields(catalogue: str) -> None:
    strings = CATALOGUES[catalogue]
    english = strings["en"]
    for locale, texts in strings.items():
        assert set(texts) == set(english), f"{locale}: {set(texts) ^ set(english)}"
        for key, text in texts.items():
            assert text.strip(), f"{locale}.{key} is empty"
            assert fields(text) == fields(english[key]), f"{locale}.{key}"
            assert "!" not in text, f"{locale}.{key}: the voice has no exclamation marks"


def test_the_language_is_the_query_then_the_choice_then_accept_language() -> None:
    offered = ("en", "es")
    assert choose_locale("es", "en", "en", offered) == "es"
    assert choose_locale(None, "es", "en-GB", offered) == "es"
    assert choose_locale("fr", "xx", "fr, es-MX;q=0.8, en;q=0.5", offered) == "es"
    assert choose_locale(None, None, "de", offered) == "en"
    assert choose_locale(None, None, None, offered) == "en"


class _Visible(HTMLParser):
    """The text a reader meets on a page in its own language: text nodes (not scripts) and
    the attributes that are read out; an element in another language (`lang=`), and code,
    are left out."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "source", "circle", "rect", "line"}

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _foreign(self) -> bool:
        return any(foreign for _, foreign in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = values.get("lang")
        # Code (column names, addresses) is in no language.
        foreign = tag == "code" or (lang is not None and tag != "html" and lang != self.language)
        if not (foreign or self._foreign()):
            for name in ("aria-label", "placeholder", "alt", "title", "data-copied"):
                if values.get(name):
                    self.parts.append(str(values[name]))
        if tag not in self.VOID:
            self.stack.append((tag, foreign))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._foreign() and not (self.stack and self.stack[-1][0] in ("script", "style")):
            self.parts.append(data)


def visible_text(html: str, language: str) -> str:
    parser = _Visible(language)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_left(text: str, strings: dict[str, str] | None = None) -> list[str]:
    """The English texts of the catalogue found in a page's text (those Spanish keeps the
    same, like "Webhook" or "CSV", are not English left over)."""
    english, spanish = STRINGS["en"], STRINGS["es"]
    for key, value in english.items():  # "JSON Lines" has no English "Lines" left in it
        if value == spanish[key] and len(value) >= 4:
            text = text.replace(value, " ")
    found = []
    for key, value in english.items():
        if value == spanish[key]:
            continue
        for piece in re.split(r"\{[a-z_]+\}", value):
            piece = piece.strip(" .,;:()")
            if len(piece) < 4 or piece in spanish[key]:
                continue
            if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text):
                found.append(f"{key}: {piece!r}")
    return found


def test_the_check_finds_english_left_in_a_spanish_page() -> None:
    assert english_left("Panel · Needs your attention (0)") == [
        "attention_title: 'Needs your attention'"
    ]
    assert english_left("Panel · Necesita tu atención (0)") == []
    assert visible_text('<p>Hola <span lang="en">Hello</span></p>', "es") == "Hola"


async def test_the_switch_keeps_a_choice_and_query_and_accept_language_follow(
    client: httpx.AsyncClient,
) -> None:
    asked = await client.get("/console/sign-in", headers={"Accept-Language": "es-MX, en;q=0.5"})
    assert '<html lang="es">' in asked.text
    assert asked.headers["content-language"] == "es"
    assert "Iniciar sesión" in asked.text
    assert 'value="en" lang="en"' in asked.text  # the switch offers the other language
    english = await client.get("/console/sign-in?lang=en", headers={"Accept-Language": "es"})
    assert '<html lang="en">' in english.text

    switched = await client.post(
        "/console/language",
        data={"csrf_token": csrf_of(english.text), "lang": "es", "next": "/console/sign-in"},
        headers=ORIGIN,
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/console/sign-in"
    assert f"{LANGUAGE_COOKIE}=es" in switched.headers["set-cookie"]
    assert "Path=/;" in switched.headers["set-cookie"]
    chosen = await client.get("/console/sign-in", headers={"Accept-Language": "en"})
    assert '<html lang="es">' in chosen.text
    assert (await client.get("/console/sign-in?lang=en")).headers["content-language"] == "en"

    elsewhere = await client.post(
        "/console/language",
        data={"csrf_token": csrf_of(chosen.text), "lang": "fr", "next": "https://evil.test/"},
        headers=ORIGIN,
    )
    assert elsewhere.headers["location"] == "/console"  # never off the console
    assert "set-cookie" not in elsewhere.headers or LANGUAGE_COOKIE not in str(
        elsewhere.headers.get("set-cookie")
    )
    forged = await client.post("/console/language", data={"lang": "en"}, headers=ORIGIN)
    assert forged.status_code == 403  # a form like any other: CSRF-checked


def assert_spanish(app: FastAPI, name: str, response: httpx.Response) -> None:
    """The page is in Spanish and no English text of the catalogue is left on it."""
    assert response.headers["content-language"] == "es", name
    assert '<html lang="es">' in response.text, name
    text = visible_text(response.text, "es")
    content = sorted(
        {d.title["en"] for d in app.state.registry.latest() if "es" not in d.locales},
        key=len,
        reverse=True,
    )
    for title in content:  # a questionnaire offered in English only keeps its title
        text = text.replace(title, "")
    left = english_left(text)
    assert not left, f"{name} in Spanish still says {left}"


async def staff_and_a_client(app: FastAPI) -> str:
    """An admin, a therapist and a researcher of one clinic; the therapist's client (with
    results and a pending link) has an email address, and the clinic sits in Madrid."""
    _, organization_id = await new_user(app, "boss@clinic.test", "admin")
    therapist_id, _ = await new_user(app, "sam@clinic.test", "therapist", organization_id)
    await new_user(app, "ria@clinic.test", "researcher", organization_id)
    [client_id] = await clients_with_results(app, therapist_id, 1)
    async with app.state.sessionmaker.begin() as session:
        (await session.get_one(Client, uuid.UUID(client_id))).email = "robin@client.test"
        (await session.get_one(Organization, organization_id)).time_zone = "Europe/Madrid"
    return client_id


#: A support line of the clinic's own (its words are the clinic's, here in Spanish).
LINE = {
    "name": "Guardia de la clínica",
    "description": "Una terapeuta de la clínica atiende de lunes a viernes, de 9 a 17.",
    "phone": "+34 900 000 000",
    "url": "https://clinica.example/ayuda",
}
#: The schedule form: the three-item loneliness scale every two weeks, three times.
SCHEDULE = {
    "questionnaires": "three-item-loneliness",
    "every": "2",
    "unit": "weeks",
    "start_time": "09:30",
    "ends_by": "count",
    "count": "3",
    "expires_in_days": "7",
    "remind_after_days": "3",
    "max_reminders": "2",
    "language": "es",
    "show_feedback": "yes",
}


async def seed_the_newer_pages(
    app: FastAPI, client: httpx.AsyncClient, client_id: str
) -> dict[str, str]:
    """What the support, studies, schedules and email pages show, each with content: the
    clinic's country and a line, a designated study, a schedule (paused) with one check-in
    made and missed, a link emailed and delivered, another whose email failed. The ids of
    the new pages' path parameters."""
    async with app.state.sessionmaker.begin() as session:
        boss = (await session.execute(select(User).where(User.role == "admin"))).scalar_one()
        organization = await session.get_one(Organization, boss.organization_id)
        organization.support_country, organization.support_lines = "MX", [LINE]
    study_id = await make_study(app, boss.organization_id, "Sueño 2026")
    async with app.state.sessionmaker.begin() as session:
        study = await session.get_one(Study, uuid.UUID(study_id))
        study.designation, study.finer_time = "limited_data_set", "month"
        study.designated_by, study.designated_at = boss.id, utcnow()

    assert (await sign_in(client, "sam@clinic.test")).status_code == 303
    page = f"/console/clients/{client_id}"
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    plan = SCHEDULE | {"starts_at": tomorrow}
    made = await post_form(client, f"{page}/schedules", plan, from_page=page)
    assert made.status_code == 303, made.text
    async with app.state.sessionmaker() as session:
        schedule = (await session.execute(select(Schedule))).scalar_one()
    assert await tick(app.state.sessionmaker, app.state.settings, schedule.starts_at) == (1, 0)
    link = {"questionnaires": "connection", "expires_in_days": "7", "send_email": "yes"}
    emailed = await post_form(
        client, f"{page}/invitations", link | {"language": "es"}, from_page=page
    )
    assert emailed.status_code == 201, emailed.text
    assert_spanish(app, "link emailed", emailed)
    assert "El enlace también se envió por correo a robin@client.test." in emailed.text
    paused = await post_form(client, f"/console/schedules/{schedule.id}/pause", {}, from_page=page)
    assert paused.status_code == 303
    async with app.state.sessionmaker.begin() as session:
        (occurrence,) = (await session.execute(select(Occurrence))).scalars()
        checked_in = await session.get_one(Invitation, occurrence.invitation_id)
        checked_in.expires_at = utcnow() - timedelta(hours=1)  # missed: expired unanswered
        first, second = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.channel == "email"))
        ).scalars()
        first.status, first.delivered_at = "delivered", utcnow()
        second.status, second.failure = "failed", "550 5.1.1 mailbox unavailable"
        invitation_id = second.reference_id
    await post_form(client, "/console/sign-out", {}, from_page="/console/password")
    return {
        "study_id": study_id,
        "schedule_id": str(schedule.id),
        "invitation_id": str(invitation_id),
    }


#: Query strings the GET pages need to show their content rather than a form error.
QUERIES = {
    "/console/research/codebook": "?questionnaire=window-of-tolerance",
    "/console/research/aggregates": "?questionnaire=window-of-tolerance&period=year",
}
#: GET routes that are not pages: files, downloads, and redirects to a page.
NOT_PAGES = {"/console/static/{name}", "/console/research/export", "/console/results/{result_id}"}


async def test_every_console_page_in_spanish_has_no_english_left(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    client_id = await staff_and_a_client(app)
    client.cookies.set(LANGUAGE_COOKIE, "es", "attune.test", "/")
    page = await client.get(f"/console/clients/{client_id}")  # not signed in yet
    assert page.status_code == 303

    ids = {"client_id": client_id} | await seed_the_newer_pages(app, client, client_id)
    checked: dict[str, str] = {}

    def check(name: str, response: httpx.Response) -> None:
        assert_spanish(app, name, response)
        checked[name] = response.text

    routes = sorted(
        path
        for method, path in app_routes(app)
        if method == "GET"
        and (path.startswith("/console") or path == "/")
        and path not in NOT_PAGES
    )
    check("sign-in", await client.get("/console/sign-in"))
    check("sign-in failed", await post_form(client, "/console/sign-in", {"email": "x@y.z"}))
    shown: set[str] = set()
    for email in ("boss@clinic.test", "sam@clinic.test", "ria@clinic.test"):
        assert (await sign_in(client, email)).status_code == 303
        for route in routes:
            response = await client.get(route.format(**ids) + QUERIES.get(route, ""))
            if response.status_code in (200, 422):  # 422: the aggregates' too few people
                check(f"{route} as {email}", response)
                shown.add(route)
            elif response.status_code == 403:
                check(f"{route} refused to {email}", response)
        await post_form(client, "/console/sign-out", {}, from_page="/console/password")
    assert len(routes) > 10
    assert shown == set(routes), "a console page was not shown to anyone"

    # Forms with mistakes, the link shown once, and an error page.
    await sign_in(client, "sam@clinic.test")
    check(
        "client form errors",
        await post_form(
            client, "/console/clients", {"label": ""}, from_page="/console/clients/new"
        ),
    )
    client_page = f"/console/clients/{client_id}"
    bad_link = {"expires_in_days": "40"}
    check(
        "link errors",
        await post_form(client, f"{client_page}/invitations", bad_link, from_page=client_page),
    )
    made = await post_form(
        client,
        f"{client_page}/invitations",
        {"questionnaires": "connection", "expires_in_days": "7"},
        from_page=client_page,
    )
    assert made.status_code == 201
    check("link shown once", made)
    assert "Código QR del enlace de admisión" in made.text
    check(
        "password errors",
        await post_form(
            client, "/console/password", {"current_password": "wrong", "new_password": "s"}
        ),
    )
    missing = await client.get("/console/clients/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    check("not found", missing)
    await post_form(client, "/console/sign-out", {}, from_page="/console/password")
    await sign_in(client, "boss@clinic.test")
    short = {"email": "new@clinic.test", "password": "short", "role": "therapist"}
    check(
        "user errors",
        await post_form(client, "/console/admin/users", short, from_page="/console/admin/users"),
    )
    taken = {"email": "sam@clinic.test", "password": "long enough password", "role": "therapist"}
    refused = await post_form(
        client, "/console/admin/users", taken, from_page="/console/admin/users"
    )
    check("user taken", refused)
    assert "Este correo ya está en uso." in refused.text

    dashboard = checked["/console as sam@clinic.test"]
    assert "Necesita tu atención" in dashboard
    assert "Tus clientes (1)" in dashboard
    assert re.search(r"\d{1,2} [a-z]{3,4}\.? 20\d\d, \d\d:\d\d UTC", dashboard)  # "1 dic 2026"
    shown_client = checked["/console/clients/{client_id} as sam@clinic.test"]
    assert "A lo largo del tiempo" in shown_client
    assert "La devolución que ve el cliente" in shown_client
    # The newer pages, with their content: each state and date shown in Spanish.
    assert "En pausa" in shown_client
    assert "Reanudar" in shown_client
    assert "Venció sin respuestas" in shown_client
    assert "Seguimientos no respondidos" in shown_client
    assert "Enviado (" in shown_client
    assert 'No entregado: <span lang="en">550' in shown_client  # the server's reason, as said
    assert re.search(r"\d{1,2} [a-z]{3,4}\.? 20\d\d, 09:30 Europe/Madrid", shown_client)
    support = checked["/console/admin/support as boss@clinic.test"]
    assert "Guardia de la clínica" in support
    assert "Tus clientes ven las líneas" in support
    designation = checked["/console/admin/studies/{study_id} as boss@clinic.test"]
    assert "Designación de Sueño 2026" in designation
    assert "Conjunto de datos limitado" in checked["/console/admin/studies as boss@clinic.test"]


async def test_the_newer_pages_forms_notices_and_refusals_in_spanish(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Support lines, studies, schedules and emails: what their forms send back (errors,
    notices, the link re-sent, a stale form refused) is in Spanish too."""
    client_id = await staff_and_a_client(app)
    client.cookies.set(LANGUAGE_COOKIE, "es", "attune.test", "/")
    ids = await seed_the_newer_pages(app, client, client_id)
    page = f"/console/clients/{client_id}"

    await sign_in(client, "sam@clinic.test")
    wrong = SCHEDULE | {"starts_at": "", "every": "0", "questionnaires": "nothing-like-it"}
    refused = await post_form(client, f"{page}/schedules", wrong, from_page=page)
    assert refused.status_code == 422
    assert_spanish(app, "schedule form errors", refused)
    assert "Escribe un número entero de 1 a 365." in refused.text
    for flag in ("scheduled", "paused", "resumed", "stopped"):
        assert_spanish(app, f"client page ?{flag}=1", await client.get(f"{page}?{flag}=1"))
    resent = await post_form(
        client,
        f"/console/invitations/{ids['invitation_id']}/send",
        {"language": "es"},
        from_page=page,
    )
    assert resent.status_code == 201, resent.text
    assert_spanish(app, "link re-sent", resent)
    assert "El enlace también se envió por correo" in resent.text
    async with app.state.sessionmaker.begin() as session:
        sam = (await session.execute(select(User).where(User.role == "therapist"))).scalar_one()
        unreachable = await service.create_client(session, sam, "Sin correo", None, None)
        opted = await service.create_client(session, sam, "Baja", "baja@client.test", None)
        opted.email_opt_out_at = utcnow().replace(tzinfo=UTC)
    no_address = await client.get(f"/console/clients/{unreachable.id}")
    assert_spanish(app, "client without an address", no_address)
    assert "añade la dirección del cliente" in no_address.text
    opted_out = await client.get(f"/console/clients/{opted.id}")
    assert_spanish(app, "client opted out", opted_out)
    assert "El cliente pidió no recibir correos" in opted_out.text
    await post_form(client, "/console/sign-out", {}, from_page="/console/password")

    await sign_in(client, "boss@clinic.test")
    support = "/console/admin/support"
    for query in ("?edit=0", "?added=1", "?saved=1", "?removed=1"):
        assert_spanish(app, f"support {query}", await client.get(support + query))
    blank = {"name": "", "description": "", "phone": "", "url": "ftp://x"}
    line_errors = await post_form(client, f"{support}/lines", blank, from_page=support)
    assert line_errors.status_code == 422
    assert_spanish(app, "support line errors", line_errors)
    assert "Escribe un nombre de hasta 200 caracteres." in line_errors.text
    country = await post_form(client, f"{support}/country", {"country": "XYZ"}, from_page=support)
    assert country.status_code == 422
    assert_spanish(app, "support country error", country)
    stale = await post_form(
        client, f"{support}/lines/remove", {"line": "0", "fingerprint": "stale"}, from_page=support
    )
    assert stale.status_code == 409
    assert_spanish(app, "support stale form", stale)
    assert "no se guardó nada" in stale.text

    studies = "/console/admin/studies"
    for query in ("?created=1", "?designated=1"):
        assert_spanish(app, f"studies {query}", await client.get(studies + query))
    for name in (" ", "Sueño 2026"):
        named = await post_form(client, studies, {"name": name})
        assert named.status_code == 422
        assert_spanish(app, f"study named {name!r}", named)
    assert "Tu organización ya tiene un estudio con este nombre." in named.text
    study = f"{studies}/{ids['study_id']}"
    finer = {"designation": "none", "finer_time": "week"}
    designated = await post_form(client, f"{study}/designation", finer, from_page=study)
    assert designated.status_code == 422
    assert_spanish(app, "designation error", designated)
    assert "elige solo el año o cambia la designación" in designated.text


async def test_the_feedback_is_shown_in_the_language_the_client_saw_it_in(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    link = await make_link(app, ("window-of-tolerance",), show_feedback=True)
    # The client answers in Spanish, page by page, up to the page that sends.
    step = 1
    while 'name="action" value="submit"' not in (
        form := (await client.get(f"{link.url}?step={step}&lang=es")).text
    ):
        fields = {"step": str(step), "action": "next", "lang": "es", **all_answers(form)}
        assert (await client.post(link.url, data=fields)).status_code == 303
        step += 1
    assert '<html lang="es">' in form
    sent = await client.post(
        link.url, data={"step": str(step), "action": "submit", "lang": "es", **all_answers(form)}
    )
    assert "Lo que sugieren tus respuestas" in sent.text
    # The therapist of that client (given a password to sign in with) reads it in English.
    async with app.state.sessionmaker.begin() as session:
        owner = await session.get_one(Client, link.client_id)
        therapist = await session.get_one(User, owner.therapist_id)
        therapist.password_hash = await passwords.hash_password(PASSWORD)
        therapist_email = therapist.email
    await sign_in(client, therapist_email)
    page = (await client.get(f"/console/clients/{link.client_id}")).text
    assert '<html lang="en">' in page
    assert "In Spanish, as the client saw it." in page
    feedback = page.split('<div lang="es">')[1].split("</div>")[0]
    assert "Por qué importa." in feedback
    assert "Why this matters" not in feedback
    assert "Over time" in page  # the rest is in the reader's language

    spanish = (await client.get(f"/console/clients/{link.client_id}?lang=es")).text
    assert "tal como la vio el cliente" not in spanish  # the same language: no note
    assert '<div lang="es">' in spanish


async def test_the_reset_pages_and_email_are_in_the_language_asked_in(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await new_user(app, "sam@clinic.test", "therapist")
    asked = await client.get("/reset?lang=es")
    assert '<html lang="es">' in asked.text
    assert "¿Olvidaste tu contraseña?" in asked.text
    assert 'name="lang" value="es"' in asked.text
    wrong = await client.post("/reset", data={"email": "not an email", "lang": "es"})
    assert wrong.status_code == 422
    assert "Escribe un correo" in wrong.text
    sent = await client.post("/reset", data={"email": "sam@clinic.test", "lang": "es"})
    assert "Revisa tu correo" in sent.text
    client.cookies.set(LANGUAGE_COOKIE, "es", "attune.test", "/")
    chosen = await client.get("/reset")
    assert '<html lang="es">' in chosen.text  # the console's switch reaches here too
    gone = await client.get("/reset/atr_not-a-link?lang=es")
    assert gone.status_code == 404
    assert "Este enlace ya no funciona" in gone.text
    async with app.state.sessionmaker() as session:
        [message] = (await session.execute(select(OutboxMessage))).scalars().all()
    assert message.kind == "password-reset"
    # The sealed message, opened as the worker opens it: written in Spanish.
    key = app.state.settings.secret_key.get_secret_value()
    opened = json.loads(unseal(key, PURPOSE, message.payload["sealed"]))
    assert opened["locale"] == "es"
    opened.pop("unsubscribe_url", None)
    email = PasswordResetMessage(**opened).render()
    assert "Hola" in email.text
    assert "contraseña" in email.subject
