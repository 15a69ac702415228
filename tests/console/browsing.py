"""Helpers of the console tests: a browser-like client (cookies, Origin, CSRF from the page)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.accounts.staff import PASSWORD

ORIGIN = {"Origin": "http://attune.test"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NONCE = re.compile(r'name="form_nonce" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, Any], *, from_page: str | None = None
) -> httpx.Response:
    """POST a form as the browser would: from this origin, with the page's CSRF token
    (and its once-only nonce, if the page has one)."""
    page = await client.get(from_page or path)
    assert page.status_code == 200, page.text
    hidden = {"csrf_token": csrf_of(page.text)}
    nonce = NONCE.search(page.text)
    if nonce:
        hidden["form_nonce"] = nonce.group(1)
    return await client.post(path, data=hidden | data, headers=ORIGIN)


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    """Sign in through the console's form."""
    return await post_form(
        client, "/console/sign-in", {"email": email, "password": password, "next": "/console"}
    )
