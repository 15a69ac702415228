"""The served OpenAPI document says what the server does (issue: the API contract).

Each check names the operation it is about, so a failure says where the contract drifted.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.respondents.dependencies import INTAKE_TOKEN_ROUTES

SCHEMES = {"RespondentToken", "StaffToken", "IntakeToken"}


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    """The document as the app serves it."""
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation."""
    return [(m, p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


async def test_three_token_schemes_each_where_it_is_accepted(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == SCHEMES
    for name, prefix in (
        ("RespondentToken", "atr_"),
        ("StaffToken", "ats_"),
        ("IntakeToken", "ati_"),
    ):
        assert prefix in schemes[name]["description"], name
    for method, path, operation in operations(document):
        offered = {name for requirement in operation.get("security", []) for name in requirement}
        assert offered <= SCHEMES, (method, path)
        assert ("IntakeToken" in offered) == (path in INTAKE_TOKEN_ROUTES), (method, path)
        if path.startswith(("/v1/users", "/v1/clients", "/v1/research", "/v1/audit")):
            assert offered == {"StaffToken"}, (method, path)
        if path.startswith("/v1/me"):
            assert offered == {"RespondentToken"}, (method, path)


async def test_submits_declare_their_replays_and_their_key(document: dict[str, Any]) -> None:
    one_shot = document["paths"]["/v1/submissions"]["post"]["responses"]
    for code in ("200", "201"):
        schema = one_shot[code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/SubmissionRead"}, code
    assert "Idempotent-Replayed" in one_shot["200"]["headers"]
    submit = document["paths"]["/v1/assessments/{assessment_id}/submit"]["post"]
    [key] = [p for p in submit["parameters"] if p["name"].lower() == "idempotency-key"]
    assert key["required"] is True
    assert key["schema"]["type"] == "string"
    assert "Idempotent-Replayed" in submit["responses"]["200"]["headers"]


async def test_headers_are_declared_where_they_are_sent(document: dict[str, Any]) -> None:
    paths = document["paths"]
    questionnaire = paths["/v1/questionnaires/{questionnaire_id}"]["get"]
    assert {"ETag", "Content-Language"} <= set(questionnaire["responses"]["200"]["headers"])
    assert "ETag" in questionnaire["responses"]["304"]["headers"]
    names = {(p["in"], p["name"]) for p in questionnaire["parameters"]}
    assert {("header", "If-None-Match"), ("header", "Accept-Language")} <= names
    save = paths["/v1/assessments/{assessment_id}/answers"]["put"]
    assert {"ETag", "Location"} <= set(save["responses"]["200"]["headers"])
    assert ("header", "if-match") in {(p["in"], p["name"]) for p in save["parameters"]}
    login = paths["/v1/auth/token"]["post"]
    assert "Retry-After" in login["responses"]["429"]["headers"]
    for method, path, operation in operations(document):
        assert "400" in operation["responses"], (method, path)
        for code, response in operation["responses"].items():
            assert "X-Request-ID" in response["headers"], (method, path, code)
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if "lang" in query:
            assert "Accept-Language" in headers, (method, path)


def open_maps(node: Any, where: str) -> list[str]:
    """Places whose values may be anything (`additionalProperties: true` or `{}`)."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("additionalProperties") is True:
            found.append(where)
        for key, value in node.items():
            found += open_maps(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += open_maps(value, f"{where}/{index}")
    return found


async def test_shapes_that_are_known_are_typed(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    # Open on purpose: a problem may carry extension members (RFC 9457 section 3.2), and the
    # audit log's details differ by action. Every other shape is known, so it is typed.
    assert open_maps(schemas, "") == ["/AuditEventRead/properties/details", "/Problem"]
    assert not [name for name in schemas if name.startswith("Body_")]
    exported = schemas["ExportedAssessment"]["properties"]
    assert {"$ref": "#/components/schemas/ScoreResult"} in exported["result"]["anyOf"]
    assert exported["status"] == {"$ref": "#/components/schemas/AssessmentStatus"}
    history = schemas["HistoryEntry"]["properties"]["status"]
    assert history == {"$ref": "#/components/schemas/AssessmentStatus"}
    when = schemas["RuleView"]["properties"]["when"]
    assert {"$ref": "#/components/schemas/Not"} in when["anyOf"]
    ids = {op["operationId"] for _, _, op in operations(document)}
    assert {"exportResearchData", "createSubmission", "getQuestionnaire"} <= ids


async def test_request_fields_with_defaults_are_optional(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("RespondentCreate", "InvitationCreate"):
        properties = schemas[name]["properties"]
        assert not [p for p, s in properties.items() if "default" in s], name
        assert set(schemas[name].get("required", [])) <= {"questionnaires"}, name
    consent = schemas["RespondentCreate"]["properties"]["research_consent"]
    assert consent["description"].endswith("Default: false.")


async def test_a_respondent_needs_no_body(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/respondents")
    assert created.status_code == 201, created.text
    assert created.json()["token"].startswith("atr_")
    assert created.json()["research_consent"] is False


async def test_the_home_page_and_icon_answer_a_person(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in home.text
    icon = await client.get("/favicon.ico")
    assert (icon.status_code, icon.headers["content-type"]) == (200, "image/svg+xml")
