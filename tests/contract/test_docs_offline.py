"""/docs and /redoc in Chromium with every request to anywhere but the server aborted.

They must list the operations from assets this server ships, and ask nothing of any CDN.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.servers import running_server


@pytest.fixture
def server(sqlite_url: str) -> Iterator[str]:
    """The real server (`attune serve`)."""
    with running_server(sqlite_url) as base:
        yield base


def offline_page(browser: Browser, base: str, blocked: list[str]) -> Page:
    """A page whose requests reach only `base`; the others are aborted and recorded."""
    page = browser.new_page()

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    return page


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        # Swagger UI shows each operation's summary in its own block.
        ("/docs", ".opblock-summary-path[data-path='/v1/submissions']"),
        # ReDoc lists every operation in its side menu, by summary.
        ("/redoc", "li[data-item-id='tag/assessments/operation/createSubmission']"),
    ],
)
def test_the_docs_list_the_operations_with_no_outside_request(
    chromium: Browser,
    server: str,
    path: str,
    operation: str,
) -> None:
    blocked: list[str] = []
    page = offline_page(chromium, server, blocked)
    page.goto(server + path)
    page.wait_for_selector(operation, state="attached", timeout=30_000)
    text = page.inner_text("body")
    for summary in ("Create Respondent", "Submit Assessment", "Get Questionnaire"):
        assert summary in text, (path, summary)
    assert blocked == []
