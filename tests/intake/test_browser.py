"""The intake form in a real browser: Debian's Chromium, driven by Playwright, against the
real server process on SQLite and PostgreSQL.

Playwright's sync API runs in plain `def` tests: pytest-asyncio has no loop running there.
Its own loop runs while a browser is open, so the database work (`site`) comes first.
Without /usr/bin/chromium these tests skip, except in CI (CI set), where they fail instead.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app.config import Settings
from app.db import create_engine
from tests.conftest import clear_rows
from tests.intake.links import Link, make_link
from tests.servers import running_server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright, or a skip (a failure in CI) saying why not."""
    if not CHROMIUM.exists():
        reason = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must run them (.ci/run installs it)")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[str, Link]]:
    """The running server and a live link to two questionnaires; rows deleted afterwards."""

    async def setup() -> Link:
        engine = create_engine(Settings(database_url=database_url))
        try:
            return await make_link(engine, ("three-item-loneliness", "window-of-tolerance"))
        finally:
            await engine.dispose()

    async def teardown() -> None:
        engine = create_engine(Settings(database_url=database_url))
        try:
            await clear_rows(engine)
        finally:
            await engine.dispose()

    with running_server(database_url) as base:
        link = asyncio.run(setup())
        try:
            yield base, link
        finally:
            asyncio.run(teardown())


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


def test_a_client_answers_leaves_comes_back_and_sends_once(
    site: tuple[str, Link], chromium: Browser
) -> None:
    base, link = site
    page = chromium.new_page(viewport=PHONE, locale="en-US")
    assert page.goto(base + link.url).status == 200  # type: ignore[union-attr]
    assert page.get_attribute("html", "lang") == "en"
    first, second, third = legends(page)

    # Keyboard: Tab into the first question, arrows choose, Tab moves to the next question.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == first:
            break
    else:
        pytest.fail("Tab never reached the first question")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == second
    page.keyboard.press("Space")
    # Mouse (or finger): the whole label is the target.
    page.locator(f"input[name='{third}'] + label").last.click()
    on_first_page = checked(page)
    assert len(on_first_page) == 3

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "intake-phone.png"))

    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**step=2")
    assert "Part 2 of 2" in page.inner_text("main")
    items = legends(page)
    for name in items[:5]:
        page.locator(f"input[name='{name}'] + label").nth(1).click()
    page.get_by_role("button", name="Save and finish later").click()
    page.wait_for_url("**saved=1")
    kept = checked(page)
    assert len(kept) == 5

    # Mid-way: a reload, and a visit from a fresh browser with no form state, find them kept.
    page.reload()
    assert checked(page) == kept
    later = chromium.new_page(viewport=PHONE)
    later.goto(f"{base}{link.url}?step=2")
    assert checked(later) == kept
    later.get_by_role("button", name="Back").click()
    later.wait_for_url("**step=1")
    assert checked(later) == on_first_page
    later.close()

    for name in items[5:]:
        page.locator(f"input[name='{name}'] + label").first.click()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "What your answers suggest"
    assert "not a diagnosis" in page.inner_text("main")

    # The link shows the feedback again, read-only, until it expires.
    again = page.goto(base + link.url)
    assert again is not None
    assert again.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "What your answers suggest"
    assert "You can open this page again with the same link until" in page.inner_text("main")
    assert page.locator("form").count() == 0
    page.close()


def test_missing_answers_are_announced_and_linked(
    site: tuple[str, Link], chromium: Browser
) -> None:
    base, link = site
    page = chromium.new_page(viewport=PHONE, locale="es-ES")
    page.goto(f"{base}{link.url}?step=2")
    assert page.get_attribute("html", "lang") == "es"
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "Algunas preguntas todavía necesitan respuesta" in summary.inner_text()
    # A summary link leads to its question: the next Tab lands on that question's options.
    link_to = summary.get_by_role("link").first
    target = (link_to.get_attribute("href") or "").split("#")[1]
    link_to.click()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('fieldset').id") == target
    page.close()
