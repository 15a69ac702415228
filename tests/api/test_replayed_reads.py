"""A questionnaire fetched again is answered by the edge (app/edge.py) exactly as the first time.

The edge keeps a definition's rendered answer and replays it for the same path, query and
Accept-Language without entering the router; a client must not be able to tell, except that
the answer is cheaper. These compare a first (routed) fetch with repeats of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.conftest import clear_rows

PATH = "/v1/questionnaires/window-of-tolerance"


def _without_request_id(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]


async def test_a_repeat_sends_the_same_headers_and_body_with_its_own_request_id(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get(PATH, headers={"Accept-Language": "es"})
    repeats = [await client.get(PATH, headers={"Accept-Language": "es"}) for _ in range(3)]
    ours = await client.get(
        PATH, headers={"Accept-Language": "es", "X-Request-ID": "trace-0123456789abcdef"}
    )
    assert first.status_code == 200
    for repeat in [*repeats, ours]:
        assert repeat.status_code == 200
        assert repeat.content == first.content
        assert _without_request_id(repeat) == _without_request_id(first)
    ids = {r.headers["x-request-id"] for r in [first, *repeats]}
    assert len(ids) == 4, "every answer names its own request"
    assert ours.headers["x-request-id"] == "trace-0123456789abcdef"
    assert first.headers["content-language"] == "es"
    assert first.headers["cache-control"] == "public, max-age=300"
    assert first.headers["x-content-type-options"] == "nosniff"


async def test_each_language_and_query_keeps_its_own_answer(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        english = await client.get(PATH, headers={"Accept-Language": "en"})
        spanish = await client.get(PATH, headers={"Accept-Language": "es"})
        forced = await client.get(PATH + "?lang=en", headers={"Accept-Language": "es"})
        assert english.headers["content-language"] == "en"
        assert spanish.headers["content-language"] == "es"
        assert forced.headers["content-language"] == "en"
        assert spanish.json()["title"] != english.json()["title"]
        assert forced.content == english.content


async def test_a_repeat_answers_if_none_match_like_the_route(client: httpx.AsyncClient) -> None:
    first = await client.get(PATH)
    etag = first.headers["etag"]
    routed = await client.get(PATH + "?lang=es", headers={"If-None-Match": etag})
    for listed in (etag, f'"other", {etag}'):
        again = await client.get(PATH, headers={"If-None-Match": listed})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert "content-length" not in again.headers or again.headers["content-length"] == "0"
    stale = await client.get(PATH, headers={"If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200
    assert stale.content == first.content
    assert routed.status_code == 200


async def test_bad_input_and_unknown_ids_are_never_replayed(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        missing = await client.get("/v1/questionnaires/no-such-thing")
        bad = await client.get(PATH + "?lang=not a language")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["parameter"] == "lang"


@pytest.fixture
async def cors(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that lets one web origin call it."""
    settings = Settings(
        database_url=database_url, environment="test", cors_origins=["https://app.example"]
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
            yield http
        await clear_rows(application.state.engine)


async def test_cors_headers_follow_each_request_s_origin(cors: httpx.AsyncClient) -> None:
    allowed = {"Origin": "https://app.example"}
    plain = [await cors.get(PATH) for _ in range(2)]
    from_web = [await cors.get(PATH, headers=allowed) for _ in range(2)]
    after = await cors.get(PATH)
    for response in [*plain, after]:
        assert "access-control-allow-origin" not in response.headers
    for response in from_web:
        assert response.headers["access-control-allow-origin"] == "https://app.example"
        assert response.content == plain[0].content


async def test_a_replayed_304_has_the_routed_304_s_headers(client: httpx.AsyncClient) -> None:
    etag = (await client.get(PATH + "?lang=es")).headers["etag"]
    # Another query string is a key of its own, not kept yet: this 304 comes from the route.
    other = PATH + "?lang=es&v=1"
    routed = await client.get(other, headers={"If-None-Match": etag})
    await client.get(other)  # now it is kept
    replayed = await client.get(other, headers={"If-None-Match": etag})
    assert routed.status_code == replayed.status_code == 304
    assert _without_request_id(replayed) == _without_request_id(routed)
