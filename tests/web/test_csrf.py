"""The CSRF token and the Origin check: pure functions, tested on their own."""

from __future__ import annotations

import pytest

from app.web.csrf import CsrfRefused, check_origin, check_token, csrf_token, origin_of

SECRET = "s" * 40
SITE = {"https://attune.example"}


def test_a_token_is_valid_only_for_its_session_and_key() -> None:
    token = csrf_token(SECRET, "ats_session-one")
    check_token(SECRET, "ats_session-one", token)
    assert len(token) == 64
    for binding, sent, secret in (
        ("ats_session-two", token, SECRET),  # another session
        ("ats_session-one", token, "t" * 40),  # another server key
        ("ats_session-one", token.upper(), SECRET),
        ("ats_session-one", "", SECRET),
        (None, token, SECRET),  # no session at all
    ):
        with pytest.raises(CsrfRefused):
            check_token(secret, binding, sent)


def test_origin_must_be_this_site_and_referer_stands_in_only_when_origin_is_absent() -> None:
    check_origin("https://attune.example", None, SITE)
    check_origin("HTTPS://Attune.Example", None, SITE)
    check_origin(None, "https://attune.example/console/clients/new", SITE)
    check_origin("null", "https://attune.example/console", SITE)  # privacy mode: Referer
    for origin, referer in (
        ("https://evil.example", "https://attune.example/console"),  # Origin wins
        ("https://attune.example.evil.example", None),
        ("http://attune.example", None),  # another scheme is another origin
        ("https://attune.example:8443", None),
        (None, "https://evil.example/attune.example"),
        (None, None),
        ("null", None),
    ):
        with pytest.raises(CsrfRefused):
            check_origin(origin, referer, SITE)


def test_origin_of_keeps_scheme_host_and_port() -> None:
    assert origin_of("http://127.0.0.1:8000/console?x=1") == "http://127.0.0.1:8000"
    assert origin_of("https://Attune.Example/") == "https://attune.example"
