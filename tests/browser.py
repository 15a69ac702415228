"""What every browser test shares: Debian's Chromium under Playwright, axe-core, screenshots.

The `chromium` fixture is registered for the whole suite by tests/conftest.py
(`pytest_plugins`). Without /usr/bin/chromium a browser test skips, except in CI (CI set),
where it fails instead. axe-core comes from npm (package-lock.json: `npm ci` once).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import create_engine

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

T = TypeVar("T")


def on_database(database_url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """`work` on a fresh engine of the test database, from a sync (Playwright) test.

    Playwright's sync API runs its own loop while a browser is open, so database setup and
    teardown around a browser test each run in a loop of their own, here.
    """

    async def run() -> T:
        engine = create_engine(Settings(database_url=database_url))
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


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


def require_axe(what: str) -> None:
    """Fail (never skip) when axe-core is not installed: an audit must not silently vanish."""
    if not AXE.exists():
        pytest.fail(f"{what} need {AXE}: run `npm ci` in the repository")


def audit(page: Page, name: str) -> None:
    """axe-core on the page as it is: no violation of any rule (WCAG 2.x A/AA and more)."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    summary = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in found]
    assert not found, f"{name}: {json.dumps(summary, indent=1)}"
