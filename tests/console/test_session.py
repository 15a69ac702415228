"""Console sign-in and sign-out: the cookie, CSRF and Origin, limits shared with the API."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.models import UserToken
from app.config import Settings
from app.console.session import COOKIE
from tests.accounts.staff import PASSWORD, login, new_user
from tests.conftest import snapshot
from tests.console.browsing import ORIGIN, csrf_of, post_form, sign_in


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Two failed sign-ins per address, so the limit is reached quickly."""
    return Settings(
        database_url=database_url, environment="test", login_failures_limit="2/15 minutes"
    )


async def test_pages_need_a_session_and_send_strict_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/console")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?next=/console"
    page = await client.get("/console/sign-in")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in page.text
    assert " style=" not in page.text


async def test_sign_in_sets_a_new_http_only_cookie_and_sign_out_revokes_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await new_user(app, "sam@clinic.test", "therapist")
    client.cookies.set(COOKIE, "ats_planted-by-someone-else", "attune.test", "/console")
    response = await sign_in(client, "sam@clinic.test")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE}=ats_" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # the public URL is http here
    token = client.cookies.get(COOKIE, path="/console")
    assert token
    assert token != "ats_planted-by-someone-else"
    dashboard = await client.get("/console")
    assert dashboard.status_code == 200
    assert "sam@clinic.test" in dashboard.text

    out = await post_form(client, "/console/sign-out", {}, from_page="/console")
    assert out.status_code == 303
    async with app.state.sessionmaker() as session:
        rows = (await session.execute(select(UserToken))).scalars().all()
    assert [row.revoked_at is not None for row in rows] == [True]
    # The old cookie, sent again by hand, no longer opens anything.
    client.cookies.set(COOKIE, token, "attune.test", "/console")
    assert (await client.get("/console")).status_code == 303


async def test_the_cookie_is_secure_when_the_public_url_is_https(database_url: str) -> None:
    from app.main import create_app
    from tests.conftest import clear_rows

    https = Settings(database_url=database_url, environment="test", public_url="https://a.test")
    application = create_app(https)
    async with application.router.lifespan_context(application):
        try:
            await new_user(application, "sec@clinic.test", "therapist")
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="https://a.test") as http:
                page = await http.get("/console/sign-in")
                assert "Secure" in page.headers["set-cookie"]
                response = await http.post(
                    "/console/sign-in",
                    data={
                        "csrf_token": csrf_of(page.text),
                        "email": "sec@clinic.test",
                        "password": PASSWORD,
                    },
                    headers={"Origin": "https://a.test"},
                )
                assert response.status_code == 303, response.text
                assert "Secure" in response.headers["set-cookie"]
        finally:
            await clear_rows(application.state.engine)


async def test_a_post_without_csrf_token_or_from_elsewhere_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await new_user(app, "sam@clinic.test", "therapist")
    page = await client.get("/console/sign-in")
    before = await snapshot(app)
    form = {"email": "sam@clinic.test", "password": PASSWORD}
    attempts = [
        ({}, ORIGIN),
        ({"csrf_token": "0" * 64}, ORIGIN),
        ({"csrf_token": csrf_of(page.text)}, {"Origin": "https://evil.example"}),
        ({"csrf_token": csrf_of(page.text)}, {}),
    ]
    for extra, headers in attempts:
        response = await client.post("/console/sign-in", data=form | extra, headers=headers)
        assert response.status_code == 403, (extra, headers)
        assert "Request refused" in response.text
        assert COOKIE not in response.headers.get("set-cookie", "")
    assert await snapshot(app) == before


async def test_a_session_token_cannot_be_used_with_another_sessions_csrf_token(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await new_user(app, "sam@clinic.test", "therapist")
    await sign_in(client, "sam@clinic.test")
    mine = csrf_of((await client.get("/console")).text)
    other = httpx.AsyncClient(transport=client._transport, base_url="http://attune.test")
    async with other:
        await sign_in(other, "sam@clinic.test")
        response = await other.post("/console/sign-out", data={"csrf_token": mine}, headers=ORIGIN)
        assert response.status_code == 403
        assert (await other.get("/console")).status_code == 200  # still signed in


async def test_a_wrong_password_keeps_the_email_and_counts_with_the_apis_limit(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await new_user(app, "sam@clinic.test", "therapist")
    response = await sign_in(client, "sam@clinic.test", "a wrong password!")
    assert response.status_code == 401
    assert "The email or password is wrong" in response.text
    assert 'value="sam@clinic.test"' in response.text
    assert "a wrong password!" not in response.text
    assert COOKIE not in response.headers.get("set-cookie", "")
    # One more failure through the API reaches the limit of two: the console is refused too.
    assert (await login(client, "sam@clinic.test", "still wrong!!")).status_code == 401
    refused = await sign_in(client, "sam@clinic.test")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in refused.text


async def test_sign_in_goes_back_only_to_a_console_page(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await new_user(app, "sam@clinic.test", "therapist")
    response = await post_form(
        client,
        "/console/sign-in",
        {"email": "sam@clinic.test", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["location"] == "/console"


async def test_the_home_page_says_what_this_is_and_links_on(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert 'href="/console"' in response.text
    assert 'href="/docs"' in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_changing_the_password_checks_the_old_one_and_ends_other_sessions(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await new_user(app, "sam@clinic.test", "therapist")
    await sign_in(client, "sam@clinic.test")
    elsewhere = httpx.AsyncClient(transport=client._transport, base_url="http://attune.test")
    async with elsewhere:
        await sign_in(elsewhere, "sam@clinic.test")
        before = await snapshot(app)
        # The API's use case: a new password too short is named first, then a wrong current one.
        short = await post_form(
            client,
            "/console/password",
            {"current_password": PASSWORD, "new_password": "short"},
        )
        assert short.status_code == 422
        assert 'href="#field-new_password"' in short.text
        wrong = await post_form(
            client,
            "/console/password",
            {"current_password": "not it at all", "new_password": "a brand new password"},
        )
        assert wrong.status_code == 422
        assert 'href="#field-current_password"' in wrong.text
        assert "not it at all" not in wrong.text
        assert await snapshot(app) == before
        changed = await post_form(
            client,
            "/console/password",
            {"current_password": PASSWORD, "new_password": "a brand new password"},
        )
        assert changed.status_code == 303
        assert (await client.get("/console")).status_code == 200  # this session stays
        assert (await elsewhere.get("/console")).status_code == 303  # the other one ended
    client.cookies.clear()
    assert (await sign_in(client, "sam@clinic.test", "a brand new password")).status_code == 303
