"""Questionnaires, concepts and the OpenAPI schema, as a mobile client sees them."""

from __future__ import annotations

import httpx
import pytest
from openapi_spec_validator import validate

# De Jong Gierveld is built in too, but off until the operator enables it (its licence).
BUILT_IN = {"window-of-tolerance", "connection", "three-item-loneliness"}


async def test_list_names_every_built_in_questionnaire(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/questionnaires")
    assert response.status_code == 200
    listed = {q["id"]: q for q in response.json()}
    assert set(listed) == BUILT_IN
    assert listed["three-item-loneliness"]["validated"] is True
    assert listed["window-of-tolerance"]["validated"] is False
    assert all(q["version"] in q["versions"] for q in listed.values())


async def test_list_in_spanish_falls_back_where_there_is_no_spanish(
    client: httpx.AsyncClient,
) -> None:
    listed = {q["id"]: q for q in (await client.get("/v1/questionnaires?lang=es")).json()}
    assert listed["window-of-tolerance"]["locale"] == "es"
    assert listed["three-item-loneliness"]["locale"] == "en"


async def test_get_publishes_the_scoring_rules(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/questionnaires/window-of-tolerance")
    assert response.status_code == 200
    body = response.json()
    assert len(body["definition_hash"]) == 64
    items = {i["id"]: i for i in body["items"]}
    assert any(i["reverse"] for i in items.values()), "some items are reverse-keyed"
    for scale in body["scales"]:
        assert set(scale["items"]) <= set(items)
        assert scale["method"] in {"sum", "mean"}
        assert 0 < scale["min_answered"] <= 1
        assert scale["bands"][0]["min"] == scale["min"]
        assert scale["bands"][-1]["max"] == scale["max"]
    assert body["profiles"]
    assert all("when" in p for p in body["profiles"])


async def test_language_from_query_then_accept_language(client: httpx.AsyncClient) -> None:
    english = await client.get("/v1/questionnaires/connection")
    spanish = await client.get(
        "/v1/questionnaires/connection", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
    )
    forced = await client.get(
        "/v1/questionnaires/connection?lang=en", headers={"Accept-Language": "es"}
    )
    assert english.headers["content-language"] == "en"
    assert spanish.headers["content-language"] == "es"
    assert spanish.json()["title"] != english.json()["title"]
    assert spanish.json()["translation"]["validated"] is False
    assert forced.json()["title"] == english.json()["title"]


async def test_etag_gives_304_until_the_language_changes(client: httpx.AsyncClient) -> None:
    first = await client.get("/v1/questionnaires/connection")
    etag = first.headers["etag"]
    again = await client.get("/v1/questionnaires/connection", headers={"If-None-Match": etag})
    other = await client.get(
        "/v1/questionnaires/connection?lang=es", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert other.status_code == 200
    assert other.headers["etag"] != etag


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/v1/questionnaires/no-such-thing", 404),
        ("/v1/questionnaires/connection?version=9.9.9", 404),
        ("/v1/questionnaires/connection?version=latest", 422),
        ("/v1/questionnaires/Not%20A%20Slug", 422),
    ],
)
async def test_unknown_questionnaire_or_version_is_a_problem(
    client: httpx.AsyncClient, url: str, status: int
) -> None:
    response = await client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def test_concepts_explain_every_concept(client: httpx.AsyncClient) -> None:
    english = (await client.get("/v1/concepts")).json()
    spanish = (await client.get("/v1/concepts", headers={"Accept-Language": "es"})).json()
    assert {c["id"] for c in english} >= {"neuroception", "co-regulation", "window-of-tolerance"}
    assert len(english) == 12
    assert english[0]["title"] != spanish[0]["title"]


async def test_openapi_has_readable_operation_ids_and_problem_errors(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    validate(schema)  # client generators reject an invalid document
    operations = [op for path in schema["paths"].values() for op in path.values()]
    ids = {op["operationId"] for op in operations}
    assert {"getQuestionnaire", "submitAssessment", "createSubmission", "eraseMe"} <= ids
    assert len(ids) == len(operations)
    for operation in operations:
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")) and "content" in response:
                assert list(response["content"]) == ["application/problem+json"], (
                    operation["operationId"],
                    code,
                )


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
