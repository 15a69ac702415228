"""The console in a real browser (Debian's Chromium under Playwright) over the real server,
on SQLite and PostgreSQL: the whole path from the first admin to an acknowledged result.

Every console page on the way is audited with axe-core (from npm, see package.json),
injected by Playwright: 0 violations, in English and, for a therapist signing in with a
Spanish browser, in Spanish. Screenshots at phone and desktop sizes are kept in
test-artifacts/. The staff context bypasses the CSP only so that axe can be injected; the
client answers in a context that keeps it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from tests.browser import ARTIFACTS, DESKTOP, PHONE, audit, on_database, require_axe
from tests.clinic.conftest import FLAGGING, answers
from tests.conftest import clear_rows
from tests.servers import running_server

ADMIN_PASSWORD = "first admin password"
THERAPIST_PASSWORD = "therapist password 1"
RESEARCHER_PASSWORD = "researcher password 1"


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[str, str]]:
    """The running server, its first admin made with the README's command, and a foreign
    client (another organization's) whose page must stay out of reach; rows deleted after."""
    require_axe("the console's browser tests")
    env = os.environ | {"ATTUNE_DATABASE_URL": database_url, "ATTUNE_ENVIRONMENT": "test"}
    command = [sys.executable, "-m", "app.cli", "users", "create", "--email", "boss@clinic.test"]
    command += ["--role", "admin", "--organization", "Clinic", "--password-stdin"]
    made = subprocess.run(
        command, input=ADMIN_PASSWORD + "\n", env=env, capture_output=True, text=True, check=False
    )
    assert made.returncode == 0, made.stderr

    async def foreign_client() -> str:
        from app.accounts import service as accounts
        from app.clinic import service as clinic

        engine = create_engine(Settings(database_url=database_url))
        try:
            async with create_sessionmaker(engine).begin() as session:
                other = await accounts.create_organization(session, "Elsewhere")
                them = await accounts.create_user(
                    session, other.id, "them@elsewhere.test", THERAPIST_PASSWORD, "therapist"
                )
                client = await clinic.create_client(session, them, "Foreign client", None, None)
                return str(client.id)
        finally:
            await engine.dispose()

    with running_server(database_url) as base:
        foreign = asyncio.run(foreign_client())
        try:
            yield base, foreign
        finally:
            on_database(database_url, clear_rows)


def shoot(page: Page, name: str) -> None:
    """Screenshots of the whole page at phone and desktop sizes."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"console-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/console")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console")


def test_from_the_first_admin_to_an_acknowledged_result(
    server: tuple[str, str],
    chromium: Browser,
) -> None:
    base, foreign = server
    staff = chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    page = staff.new_page()

    page.goto(f"{base}/")
    audit(page, "home")
    page.goto(f"{base}/console")
    assert "/console/sign-in" in page.url
    audit(page, "sign-in")

    # The first admin adds a therapist.
    sign_in(page, base, "boss@clinic.test", ADMIN_PASSWORD)
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Email").fill("sam@clinic.test")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Add the user").click()
    assert page.get_by_role("alert").is_visible()
    audit(page, "users with an error")
    page.get_by_label("Password").fill(THERAPIST_PASSWORD)
    page.get_by_label("Role", exact=True).select_option("therapist")
    page.get_by_role("button", name="Add the user").click()
    assert "The user was added" in page.inner_text("main")
    page.get_by_label("Email").fill("ria@clinic.test")
    page.get_by_label("Password").fill(RESEARCHER_PASSWORD)
    page.get_by_label("Role", exact=True).select_option("researcher")
    page.get_by_role("button", name="Add the user").click()
    audit(page, "users")
    page.get_by_role("link", name="Webhook").click()
    audit(page, "webhook")
    page.get_by_role("link", name="Audit log").click()
    audit(page, "audit log")
    page.get_by_role("button", name="Sign out").click()
    assert "You are signed out" in page.inner_text("main")

    # The therapist adds a client and sends a link.
    sign_in(page, base, "sam@clinic.test", THERAPIST_PASSWORD)
    audit(page, "empty dashboard")
    page.get_by_role("link", name="Password").click()
    audit(page, "password")
    page.goto(f"{base}/console")
    page.get_by_role("link", name="Add a client").first.click()
    audit(page, "client form")
    page.get_by_label("Name or label").fill("Robin (Mondays)")
    page.get_by_role("button", name="Add the client").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Robin (Mondays)"
    page.get_by_label("Days until the link expires").fill("40")
    page.get_by_role("button", name="Make the link").click()
    assert page.get_by_role("alert").is_visible()  # no questionnaire, 40 days
    audit(page, "client page with errors")
    page.get_by_label("Window of tolerance", exact=False).first.check()  # the link form
    page.get_by_label("Days until the link expires").fill("7")
    page.get_by_role("button", name="Make the link").click()
    link = page.locator("#intake-url").inner_text()
    assert page.locator(".qr svg").is_visible()
    assert page.get_by_role("button", name="Copy the link").is_visible()  # script enhanced
    audit(page, "link shown once")
    intake_path = "/intake/" + link.split("/intake/")[1]

    # The client answers part, saves, and the therapist sees the progress.
    client_context = chromium.new_context(viewport=PHONE)
    client = client_context.new_page()
    client.goto(base + intake_path)
    definition_answers = answers(_definition(), FLAGGING)
    items = list(definition_answers.items())
    for item, value in items[:5]:
        client.locator(f"label[for='answer-{item}-{value}']").click()
    client.get_by_role("button", name="Save and finish later").click()
    client.wait_for_url("**saved=1")
    page.goto(f"{base}/console")
    assert f"5 of {len(items)} answered" in page.inner_text("main")

    for item, value in items[5:]:
        label = client.locator(f"label[for='answer-{item}-{value}']")
        if not label.count():  # on the next page: the intake shows at most six per page
            client.get_by_role("button", name="Save and continue").click()
            client.wait_for_load_state()
        label.click()
    client.get_by_role("button", name="Send my answers").click()
    client.wait_for_load_state()
    assert client.get_by_role("heading", level=1).inner_text() == "What your answers suggest"
    client_context.close()

    # The therapist sees the attention item, the result and its charts, and the print view.
    page.goto(f"{base}/console")
    attention = page.locator(".alert-item")
    assert "Robin (Mondays)" in attention.inner_text()
    assert "Outside the window with little settling" in attention.inner_text()
    audit(page, "dashboard")
    shoot(page, "dashboard")
    page.get_by_role("link", name="Robin (Mondays)").first.click()
    assert page.locator("svg.chart").count() == 4
    page.get_by_text("How it was scored (the rule trace)").click()
    audit(page, "client page with results")
    shoot(page, "client")
    page.get_by_role("link", name="Print view").click()
    audit(page, "print view")
    page.emulate_media(media="print")
    shoot(page, "print")
    page.emulate_media(media="screen")

    spanish_walk(chromium, base)

    page.goto(f"{base}/console")
    page.locator(".alert-item").get_by_role("button", name="Mark as seen").click()
    assert "Needs your attention (0)" in page.inner_text("main")

    # Refused: another organization's client, and a form post without its CSRF token.
    response = page.goto(f"{base}/console/clients/{foreign}")
    assert response is not None
    assert response.status == 404
    assert "Foreign client" not in page.inner_text("main")
    audit(page, "not found")
    forged = page.request.post(
        f"{base}/console/clients",
        form={"label": "Forged", "form_nonce": uuid.uuid4().hex},
        headers={"Origin": base},
    )
    assert forged.status == 403
    assert "Request refused" in forged.text()
    page.goto(f"{base}/console")
    page.get_by_role("button", name="Sign out").click()

    # A researcher asks for an export (the client gave no consent: fewer than k people, so
    # the form says why and nothing downloads), reads the codebook and the aggregates.
    page.goto(f"{base}/console")
    page.get_by_label("Email").fill("ria@clinic.test")
    page.get_by_label("Password").fill(RESEARCHER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/research")
    audit(page, "research")
    page.get_by_role("button", name="Download the export").click()
    assert "fewer than 11 people" in page.get_by_role("alert").inner_text()
    audit(page, "research export refused")
    page.get_by_role("button", name="Show the codebook").click()
    audit(page, "codebook")
    with page.expect_download() as book:
        page.get_by_role("link", name="Download as CSV").click()
    assert "person_key" in Path(book.value.path()).read_text()
    page.goto(f"{base}/console/research")
    page.get_by_role("button", name="Show the aggregates").click()
    audit(page, "aggregates")
    staff.close()


def spanish_walk(chromium: Browser, base: str) -> None:
    """The therapist signs in with a Spanish browser: the sign-in page, the dashboard and the
    client page speak Spanish (axe: 0 there too); the layout's switch changes the language
    without script, and the "forgot password" page follows it."""
    context = chromium.new_context(
        viewport=DESKTOP, bypass_csp=True, locale="es-ES", java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"{base}/console")
    assert page.get_attribute("html", "lang") == "es"
    assert page.get_by_role("heading", level=1).inner_text() == "Iniciar sesión"
    page.get_by_label("Correo electrónico").fill("sam@clinic.test")
    page.get_by_label("Contraseña").fill(THERAPIST_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"{base}/console")
    main = page.inner_text("main")
    assert page.get_by_role("heading", level=1).inner_text() == "Panel"
    assert "Necesita tu atención (1)" in main
    assert "Tus clientes (1)" in main
    page.get_by_role("link", name="Robin (Mondays)").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Robin (Mondays)"
    assert "A lo largo del tiempo" in page.inner_text("main")
    assert "Último resultado" in page.inner_text("main")

    # The switch is a plain form: English, then back to Spanish.
    page.get_by_role("button", name="English").click()
    assert page.get_attribute("html", "lang") == "en"
    assert "Over time" in page.inner_text("main")
    page.get_by_role("button", name="Español").click()
    assert page.get_attribute("html", "lang") == "es"
    context.close()

    # With script (for axe), the same pages audited in Spanish.
    context = chromium.new_context(viewport=DESKTOP, bypass_csp=True, locale="es-ES")
    page = context.new_page()
    page.goto(f"{base}/console")
    audit(page, "sign-in in Spanish")
    page.get_by_role("link", name="¿Olvidaste tu contraseña?").click()
    assert page.get_attribute("html", "lang") == "es"
    audit(page, "forgot password in Spanish")
    page.goto(f"{base}/console")
    page.get_by_label("Correo electrónico").fill("sam@clinic.test")
    page.get_by_label("Contraseña").fill(THERAPIST_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"{base}/console")
    audit(page, "dashboard in Spanish")
    shoot(page, "dashboard-es")
    page.get_by_role("link", name="Robin (Mondays)").first.click()
    audit(page, "client page in Spanish")
    shoot(page, "client-es")
    context.close()


def _definition():  # type: ignore[no-untyped-def]
    from app.questionnaires.registry import Registry

    return Registry.load().get("window-of-tolerance")


def test_an_admin_edits_a_support_line_and_a_therapist_schedules_a_check_in(
    server: tuple[str, str],
    chromium: Browser,
) -> None:
    """console-pages: support lines and studies (admin), schedules and email delivery."""
    base, _ = server
    staff = chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    page = staff.new_page()
    sign_in(page, base, "boss@clinic.test", ADMIN_PASSWORD)

    # The admin adds the clinic's own line (a wrong address first), then edits it.
    page.get_by_role("link", name="Support lines").click()
    audit(page, "support lines, none yet")
    page.get_by_label("Name").fill("Clinic on-call line")
    page.get_by_label("Description").fill("A therapist of the clinic answers on weekdays.")
    page.get_by_label("Web address").fill("ftp://clinic.example")
    page.get_by_role("button", name="Add the line").click()
    assert page.get_by_role("alert").is_visible()
    audit(page, "support line with an error")
    page.get_by_label("Web address").fill("https://clinic.example/help")
    page.get_by_role("button", name="Add the line").click()
    assert "The line was added." in page.inner_text("main")
    page.get_by_role("link", name="Edit Clinic on-call line").click()
    page.get_by_label("Phone").fill("+34 900 000 000")
    page.get_by_role("button", name="Save the line").click()
    assert "+34 900 000 000" in page.locator(".lines").inner_text()
    page.get_by_role("textbox", name="Country").fill("ES")
    page.get_by_role("button", name="Save the country").click()
    assert "the lines shipped for ES" in page.inner_text("main")
    audit(page, "support lines")
    shoot(page, "support")

    # The admin makes a study and designates it for months.
    page.get_by_role("link", name="Studies").click()
    page.get_by_label("Study name").fill("Sleep 2026")
    page.get_by_role("button", name="Create the study").click()
    audit(page, "studies")
    page.get_by_role("link", name="Designation Sleep 2026").click()
    page.get_by_label("Limited data set").check()
    page.get_by_label("Month").check()
    page.get_by_role("button", name="Save the designation").click()
    assert "Sleep 2026 Limited data set Month" in " ".join(
        page.locator("tbody").inner_text().split()
    )
    page.get_by_role("link", name="Designation Sleep 2026").click()
    page.get_by_label("None (year only)").check()
    page.get_by_role("button", name="Save the designation").click()  # month with none: refused
    assert page.get_by_role("alert").is_visible()
    audit(page, "designation with an error")
    shoot(page, "designation")

    page.get_by_role("link", name="Users").click()
    page.get_by_label("Email").fill("sam@clinic.test")
    page.get_by_label("Password").fill(THERAPIST_PASSWORD)
    page.get_by_label("Role", exact=True).select_option("therapist")
    page.get_by_role("button", name="Add the user").click()
    page.get_by_role("button", name="Sign out").click()

    # The therapist schedules a two-weekly check-in (an end before the start first).
    sign_in(page, base, "sam@clinic.test", THERAPIST_PASSWORD)
    page.goto(f"{base}/console/clients/new")
    page.get_by_label("Name or label").fill("Alex (Fridays)")
    page.get_by_label("Email (optional)").fill("alex@client.test")
    page.get_by_role("button", name="Add the client").click()
    form = page.locator("form[action$='/schedules']")
    form.get_by_label("Connection", exact=False).first.check()
    form.get_by_label("Every", exact=True).fill("2")
    form.get_by_label("Unit").select_option("weeks")
    form.get_by_label("First date").fill("2030-01-07")
    form.get_by_label("Time of day").fill("09:30")
    form.get_by_label("An end date").check()
    form.get_by_label("End date", exact=True).fill("2029-12-01")
    form.get_by_role("button", name="Schedule the check-ins").click()
    assert "The end date is before the first date." in page.get_by_role("alert").inner_text()
    audit(page, "schedule with an error")
    form = page.locator("form[action$='/schedules']")
    form.get_by_label("End date", exact=True).fill("2030-06-30")
    form.get_by_label("Remind after (days)").fill("3")
    form.get_by_role("button", name="Schedule the check-ins").click()
    card = page.locator(".schedule")
    assert "Every 2 week(s)" in card.inner_text()
    assert "Active" in card.inner_text()
    assert "First check-in\n7 Jan 2030, 09:30 UTC" in card.inner_text()  # the console's dates

    # A link sent by email too: shown once, and its delivery status on the client's page.
    page.get_by_label("Window of tolerance", exact=False).first.check()
    page.get_by_label("Also send the link by email to alex@client.test").check()
    page.get_by_role("button", name="Make the link").click()
    assert "The link was also emailed to alex@client.test." in page.inner_text("main")
    assert page.locator(".qr svg").is_visible()
    audit(page, "link shown once and emailed")
    page.get_by_role("link", name="Back to Alex (Fridays)").click()
    status = page.locator("td[class^='delivery-']").first.inner_text()
    assert status.split(" (")[0] in {"Queued", "Sent"}, status
    assert page.get_by_role("button", name="Re-send", exact=False).is_visible()
    audit(page, "client page with schedules and emails")
    page.locator("#schedules-title").scroll_into_view_if_needed()
    shoot(page, "schedules")
    staff.close()
