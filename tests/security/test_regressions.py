"""One test per bug the fuzzer or the access matrix found, so that it stays fixed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.errors import PROBLEM_JSON
from tests.intake.links import make_link
from tests.security.world import bearer, build_world


def declared(app: FastAPI, method: str, path: str) -> set[int]:
    """The status codes the OpenAPI schema declares for an operation."""
    operation: dict[str, Any] = app.openapi()["paths"][path][method.lower()]
    return {int(code) for code in operation["responses"]}


OUTSIDE_AN_INTAKE_LINK = [
    ("POST", "/v1/assessments", {"questionnaire_id": "connection"}),
    ("POST", "/v1/submissions", {
        "id": "0f8f7c52-8a8e-4c38-9a39-1df37c6a4a30",
        "questionnaire_id": "three-item-loneliness",
        "answers": {},
        "answered_at": "2026-01-01T00:00:00Z",
    }),
    ("GET", "/v1/me/assessments", None),
    ("GET", "/v1/me/trends?questionnaire=connection&scale=closeness", None),
    ("PUT", "/v1/me/consent", {"research": True}),
    ("GET", "/v1/me/export", None),
    ("DELETE", "/v1/me", None),
]  # fmt: skip


@pytest.mark.parametrize(("method", "url", "body"), OUTSIDE_AN_INTAKE_LINK)
async def test_an_intake_tokens_403_is_declared(
    app: FastAPI, client: httpx.AsyncClient, method: str, url: str, body: Any
) -> None:
    """Found by the fuzzer: the respondent routes refused intake tokens with an undeclared 403."""
    link = await make_link(app, ("three-item-loneliness",))
    response = await client.request(method, url, json=body, headers=bearer(link.token))
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert 403 in declared(app, method, url.split("?")[0])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/respondents"),
        ("POST", "/v1/submissions"),
        ("PUT", "/v1/assessments/{assessment_id}/answers"),
        ("PUT", "/v1/me/consent"),
    ],
)
async def test_a_body_that_is_not_utf8_gets_a_declared_400(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], method: str, path: str
) -> None:
    """Found by the fuzzer: FastAPI answers an undecodable body with a 400 nobody declared."""
    url = path.format(assessment_id="0f8f7c52-8a8e-4c38-9a39-1df37c6a4a30")
    headers = auth | {"Content-Type": "application/json"}
    response = await client.request(method, url, content=b"\xcd\xc3", headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["title"] == "Bad request"
    assert 400 in declared(app, method, path)


NUL = "a\u0000b"
NUL_IN_TEXT = [
    ("therapist_a", "POST", "/v1/clients", {"label": NUL}),
    ("researcher_a", "POST", "/v1/research/studies", {"name": NUL}),
    ("admin_a", "PUT", "/v1/organization/webhook", {"url": f"https://clinic.example/{NUL}"}),
    ("admin_a", "POST", "/v1/users", {
        "email": f"{NUL}@clinic.test", "password": "a long password", "role": "therapist"
    }),
    ("admin_a", "GET", "/v1/audit?action=a%00b", None),
    ("researcher_a", "GET", "/v1/research/export?questionnaire=connection&study=a%00b", None),
    ("researcher_a", "GET", "/v1/research/codebook?questionnaire=connection&study=a%00b", None),
    ("anonymous", "POST", "/v1/auth/token", {"username": NUL, "password": NUL}),
]  # fmt: skip


@pytest.mark.parametrize(("who", "method", "url", "body"), NUL_IN_TEXT)
async def test_a_nul_in_text_is_invalid_input_not_a_server_error(
    app: FastAPI, client: httpx.AsyncClient, who: str, method: str, url: str, body: Any
) -> None:
    """Found by the fuzzer: PostgreSQL refuses U+0000 in text, and the app answered 500."""
    world = await build_world(app, client)
    send: dict[str, Any] = {"data": body} if url == "/v1/auth/token" else {"json": body}
    response = await client.request(method, url, headers=world.headers[who], **send)
    assert response.status_code < 500, response.text
    if not app.state.settings.is_sqlite:  # SQLite stores the text as it is
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
        assert "U+0000" in response.json()["detail"]
