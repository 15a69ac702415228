"""The intake form in a real browser: Debian's Chromium, driven by Playwright, against the
real server process on SQLite and PostgreSQL.

Playwright's sync API runs in plain `def` tests: pytest-asyncio has no loop running there.
Its own loop runs while a browser is open, so the database work (`site`) comes first.
Chromium, axe-core and the screenshots' folder come from tests/browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser import ARTIFACTS, PHONE, audit, on_database, require_axe
from tests.conftest import clear_rows
from tests.intake.links import Link, make_link
from tests.servers import running_server


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[str, Link]]:
    """The running server and a live link to two questionnaires; rows deleted afterwards."""

    async def setup(engine: AsyncEngine) -> Link:
        return await make_link(engine, ("three-item-loneliness", "window-of-tolerance"))

    with running_server(database_url) as base:
        link = on_database(database_url, setup)
        try:
            yield base, link
        finally:
            on_database(database_url, clear_rows)


def checked(page: Page) -> set[str]:
    """The ids of the checked radios on the page."""
    ids: list[str] = page.eval_on_selector_all(
        "input[type=radio]:checked", "inputs => inputs.map(i => i.id)"
    )
    return set(ids)


def legends(page: Page) -> list[str]:
    """Each question's radio group name, in page order."""
    names: list[str] = page.eval_on_selector_all(
        "fieldset.item", "sets => sets.map(s => s.querySelector('input').name)"
    )
    return names


def choose(page: Page, names: list[str], option: int = 1) -> None:
    """Tap an option of each named question (the whole label is the target)."""
    for name in names:
        page.locator(f"input[name='{name}'] + label").nth(option).click()


def test_a_client_answers_leaves_comes_back_and_sends_once(
    site: tuple[str, Link], chromium: Browser
) -> None:
    base, link = site
    # No script at all: the form, the language switch and the skip link are plain HTML.
    context = chromium.new_context(viewport=PHONE, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    assert page.goto(base + link.url).status == 200  # type: ignore[union-attr]
    assert page.get_attribute("html", "lang") == "en"
    first, second, third = legends(page)

    # The first Tab offers the skip link; following it, the next Tab is the first question.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.textContent") == "Skip to the main content"
    page.keyboard.press("Enter")
    page.wait_for_url("**#main")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == first
    # Keyboard: arrows choose, Tab moves to the next question.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == second
    page.keyboard.press("Space")
    # Mouse (or finger): the whole label is the target.
    page.locator(f"input[name='{third}'] + label").last.click()
    on_first_page = checked(page)
    assert len(on_first_page) == 3

    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**step=2")
    assert "Page 2 of 4" in page.inner_text("main")
    assert "Questions 1 to 6 of 16" in page.inner_text("main")
    items = legends(page)
    assert len(items) == 6
    heights = [page.evaluate("document.documentElement.scrollHeight")]

    # Four answers, then "Español": they are saved and the same page comes back in Spanish.
    choose(page, items[:4])
    four = checked(page)
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "es"
    assert "Página 2 de 4" in page.inner_text("main")
    assert checked(page) == four

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "intake-phone.png"))
    page.screenshot(path=str(ARTIFACTS / "intake-phone-full.png"), full_page=True)

    choose(page, items[4:5])
    page.get_by_role("button", name="Guardar y terminar más tarde").click()
    page.wait_for_url("**saved=1")
    kept = checked(page)
    assert len(kept) == 5

    # Mid-way: a reload, and a visit from a fresh browser that prefers English, find the
    # answers kept and the chosen language remembered.
    page.reload()
    assert checked(page) == kept
    later_context = chromium.new_context(viewport=PHONE, locale="en-US", java_script_enabled=False)
    later = later_context.new_page()
    later.goto(f"{base}{link.url}?step=2")
    assert later.get_attribute("html", "lang") == "es"
    assert checked(later) == kept
    later.get_by_role("button", name="Atrás").click()
    later.wait_for_url("**step=1")
    assert checked(later) == on_first_page
    later_context.close()

    choose(page, items[5:])
    page.get_by_role("button", name="Guardar y continuar").click()
    page.wait_for_url("**step=3")
    heights.append(page.evaluate("document.documentElement.scrollHeight"))
    names = legends(page)
    choose(page, names, 0)
    # Enter in a question still means "Save and continue", not the language switch above.
    page.focus(f"input[name='{names[-1]}']:checked")
    page.keyboard.press("Enter")
    page.wait_for_url("**step=4")
    assert page.get_attribute("html", "lang") == "es"
    assert len(checked(page)) == 0
    heights.append(page.evaluate("document.documentElement.scrollHeight"))
    choose(page, legends(page), 0)
    print(f"\nwindow-of-tolerance page heights at 390 px: {heights} CSS px")
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Lo que sugieren tus respuestas"
    assert "no un diagnóstico" in page.inner_text("main")

    # The link shows the feedback again, read-only, in the chosen language, until it expires.
    again = page.goto(base + link.url)
    assert again is not None
    assert again.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Lo que sugieren tus respuestas"
    assert "Puedes volver a abrir esta página con el mismo enlace hasta el" in page.inner_text(
        "main"
    )
    assert page.locator("form").count() == 0
    context.close()


def test_missing_answers_are_announced_and_linked(
    site: tuple[str, Link], chromium: Browser
) -> None:
    base, link = site
    page = chromium.new_page(viewport=PHONE, locale="es-ES")
    page.goto(f"{base}{link.url}?step=4")
    assert page.get_attribute("html", "lang") == "es"
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "Algunas preguntas todavía necesitan respuesta" in summary.inner_text()
    assert "Página 1 de 4" in page.inner_text("main")
    # A summary link leads to its question: the next Tab lands on that question's options.
    link_to = summary.get_by_role("link").first
    target = (link_to.get_attribute("href") or "").split("#")[1]
    link_to.click()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('fieldset').id") == target
    # A gap on a later page: its link opens that page with the gap marked.
    summary.get_by_role("link").last.click()
    page.wait_for_url("**check=1*")
    assert page.locator(".error-message").count() >= 1
    page.close()


def test_every_intake_page_has_no_axe_violation(site: tuple[str, Link], chromium: Browser) -> None:
    base, link = site
    require_axe("the intake's browser tests")
    # The page's CSP forbids injected script; only this audit context bypasses it.
    context = chromium.new_context(viewport=PHONE, locale="en-US", bypass_csp=True)
    page = context.new_page()
    page.goto(base + link.url)
    audit(page, "first page")
    page.keyboard.press("Tab")  # the skip link, shown while focused
    audit(page, "skip link shown")
    choose(page, legends(page))
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**step=2")
    audit(page, "a page of a long questionnaire")
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    audit(page, "in Spanish")
    page.goto(f"{base}{link.url}?step=4")
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_load_state()
    audit(page, "error summary")
    page.goto(f"{base}/intake/ati_not-a-real-token")
    audit(page, "unknown link")
    for step in (1, 2, 3, 4):
        page.goto(f"{base}{link.url}?step={step}")
        choose(page, legends(page), 0)
        page.get_by_role("button", name="Guardar y terminar más tarde").click()
        page.wait_for_load_state()
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Lo que sugieren tus respuestas"
    audit(page, "feedback")
    context.close()
