"""The access matrix: every route, every principal that must not get through, refused.

Routes come from the app itself. A route whose path names an object (`{..._id}`) needs a row
in OBJECT_ROWS: which object of organization A to name and who may reach it; every other
principal of the world (see world.py) must get 401, 403 or 404 with a problem document that
carries nothing of the object. Routes without an id are in ROLE_ROWS (which kinds of caller
may call them; the others get 401 or 403) or PUBLIC. A new route without a row fails
`test_every_route_has_a_row`, naming it. Those who may call a route are tried last, and must
get through (not 401/403/404): a row that refuses everyone proves nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.accounts.models import ADMIN, RESEARCHER, THERAPIST
from app.config import Settings
from app.errors import PROBLEM_JSON
from app.main import create_app
from tests.security.console_rows import (
    CONSOLE_ENDS_A_SESSION,
    CONSOLE_OBJECT_ROWS,
    CONSOLE_PUBLIC,
    CONSOLE_ROLE_ROWS,
    console_refusal_problems,
    send_console,
)
from tests.security.world import INTAKE, KINDS, PRINCIPALS, RESPONDENT, World, build_world

Route = tuple[str, str]
DENIED = {401, 403, 404}
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "errors"}
STAFF = frozenset({ADMIN, THERAPIST, RESEARCHER})
CLINIC = frozenset({ADMIN, THERAPIST})


@dataclass(frozen=True)
class Row:
    """A request to a route and who may make it.

    `ids` maps the path's parameters to World.ids keys; `allowed` names principals (object
    rows) or kinds of principal (role rows).
    """

    allowed: frozenset[str]
    ids: dict[str, str] = field(default_factory=dict)
    body: Any = None
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def row(*allowed: str, **kwargs: Any) -> Row:
    """A row allowing these principals or kinds."""
    return Row(frozenset(allowed), **kwargs)


OWN = {"assessment_id": "own_assessment"}
CLIENT = {"client_id": "client"}
SCHEDULE = {"schedule_id": "schedule"}
TREND = "?questionnaire=window-of-tolerance&scale=hyperarousal"
OFFLINE = {
    "id": "0f8f7c52-8a8e-4c38-9a39-1df37c6a4a30",
    "questionnaire_id": "three-item-loneliness",
    "answers": {},
    "answered_at": "2026-01-01T00:00:00Z",
}

#: Routes naming an object of organization A (or respondent A), and who may reach it.
OBJECT_ROWS: dict[Route, tuple[Row, ...]] = {
    ("GET", "/v1/assessments/{assessment_id}"): (
        row("respondent_a", ids=OWN),
        row("intake_a", ids={"assessment_id": "intake_assessment"}),
        # The client's own (non-intake) assessment: not even their intake link reaches it.
        row(ids={"assessment_id": "flagged_assessment"}),
    ),
    ("PUT", "/v1/assessments/{assessment_id}/answers"): (
        row("respondent_a", ids=OWN, body={"answers": {}}),
        row("intake_a", ids={"assessment_id": "intake_assessment"}, body={"answers": {}}),
    ),
    ("POST", "/v1/assessments/{assessment_id}/submit"): (
        row("respondent_a", ids=OWN, headers={"Idempotency-Key": "matrix-1"}),
        row(
            "intake_a",
            ids={"assessment_id": "intake_assessment"},
            headers={"Idempotency-Key": "matrix-2"},
        ),
    ),
    ("GET", "/v1/assessments/{assessment_id}/result"): (
        row("respondent_a", ids=OWN),
        row(ids={"assessment_id": "flagged_assessment"}),
    ),
    ("PATCH", "/v1/users/{user_id}"): (
        row("admin_a", ids={"user_id": "therapist_a2"}, body={"role": THERAPIST}),
    ),
    ("GET", "/v1/clients/{client_id}"): (row("therapist_a", "admin_a", ids=CLIENT),),
    ("POST", "/v1/clients/{client_id}/withdraw-consent"): (
        row("therapist_a", "admin_a", ids=CLIENT),
    ),
    ("DELETE", "/v1/clients/{client_id}"): (row("therapist_a", "admin_a", ids=CLIENT),),
    ("POST", "/v1/clients/{client_id}/invitations"): (
        row("therapist_a", "admin_a", ids=CLIENT, body={"questionnaires": ["connection"]}),
    ),
    ("GET", "/v1/clients/{client_id}/invitations"): (row("therapist_a", "admin_a", ids=CLIENT),),
    ("GET", "/v1/clients/{client_id}/results"): (row("therapist_a", "admin_a", ids=CLIENT),),
    ("GET", "/v1/clients/{client_id}/trends"): (
        row("therapist_a", "admin_a", ids=CLIENT, query=TREND),
    ),
    ("POST", "/v1/invitations/{invitation_id}/send"): (
        row("therapist_a", "admin_a", ids={"invitation_id": "invitation"}, body={}),
    ),
    ("POST", "/v1/invitations/{invitation_id}/revoke"): (
        row("therapist_a", "admin_a", ids={"invitation_id": "invitation"}),
    ),
    ("POST", "/v1/clients/{client_id}/schedules"): (
        row(
            "therapist_a",
            "admin_a",
            ids=CLIENT,
            body={
                "questionnaires": ["connection"],
                "every": 1,
                "starts_at": "2030-01-01T09:00:00Z",
                "count": 2,
            },
        ),
    ),
    ("GET", "/v1/clients/{client_id}/schedules"): (row("therapist_a", "admin_a", ids=CLIENT),),
    ("GET", "/v1/clients/{client_id}/missed"): (row("therapist_a", "admin_a", ids=CLIENT),),
    ("GET", "/v1/schedules/{schedule_id}"): (row("therapist_a", "admin_a", ids=SCHEDULE),),
    ("POST", "/v1/schedules/{schedule_id}/pause"): (row("therapist_a", "admin_a", ids=SCHEDULE),),
    ("POST", "/v1/schedules/{schedule_id}/resume"): (row("therapist_a", "admin_a", ids=SCHEDULE),),
    ("POST", "/v1/schedules/{schedule_id}/stop"): (row("therapist_a", "admin_a", ids=SCHEDULE),),
    ("POST", "/v1/results/{result_id}/acknowledge"): (
        row("therapist_a", "admin_a", ids={"result_id": "result"}),
    ),
    ("PUT", "/v1/research/studies/{study_id}/designation"): (
        row("admin_a", ids={"study_id": "study"}, body={"designation": "none"}),
    ),
}

#: Routes without an object id that only some kinds of caller may call.
ROLE_ROWS: dict[Route, Row] = {
    ("POST", "/v1/assessments"): row(
        RESPONDENT, INTAKE, body={"questionnaire_id": "three-item-loneliness"}
    ),
    ("POST", "/v1/submissions"): row(RESPONDENT, body=OFFLINE),
    ("GET", "/v1/me/assessments"): row(RESPONDENT),
    ("GET", "/v1/me/trends"): row(RESPONDENT, query=TREND),
    ("PUT", "/v1/me/consent"): row(RESPONDENT, body={"research": True}),
    ("GET", "/v1/me/export"): row(RESPONDENT),
    ("DELETE", "/v1/me"): row(RESPONDENT),
    ("GET", "/v1/auth/me"): Row(STAFF),
    ("PATCH", "/v1/auth/me"): Row(STAFF, body={"notify_on_flag": True}),
    ("POST", "/v1/auth/logout"): Row(STAFF),
    ("POST", "/v1/auth/password"): Row(
        STAFF, body={"current_password": "not the password", "new_password": "a long password"}
    ),
    ("GET", "/v1/users"): row(ADMIN),
    ("POST", "/v1/users"): row(
        ADMIN, body={"email": "new@clinic.test", "password": "a long password", "role": THERAPIST}
    ),
    ("POST", "/v1/clients"): Row(CLINIC, body={"label": "New client"}),
    ("GET", "/v1/clients"): Row(CLINIC),
    ("GET", "/v1/attention"): Row(CLINIC),
    ("PUT", "/v1/organization/webhook"): row(ADMIN, body={"url": "https://clinic.example/hook"}),
    ("GET", "/v1/organization/time-zone"): Row(CLINIC),
    ("PUT", "/v1/organization/time-zone"): row(ADMIN, body={"time_zone": "Europe/Madrid"}),
    ("DELETE", "/v1/organization/webhook"): row(ADMIN),
    ("GET", "/v1/organization/webhook/deliveries"): row(ADMIN),
    ("GET", "/v1/organization/support"): row(ADMIN),
    ("PUT", "/v1/organization/support"): row(ADMIN, body={"country": "MX"}),
    ("GET", "/v1/research/export"): row(RESEARCHER, query="?questionnaire=window-of-tolerance"),
    ("GET", "/v1/research/codebook"): row(RESEARCHER, query="?questionnaire=window-of-tolerance"),
    ("GET", "/v1/research/aggregates"): row(RESEARCHER, query="?questionnaire=window-of-tolerance"),
    ("POST", "/v1/research/studies"): row(RESEARCHER, ADMIN, body={"name": "Another study"}),
    ("GET", "/v1/research/studies"): row(RESEARCHER, ADMIN),
    ("GET", "/v1/audit"): row(ADMIN),
}

#: Admissions that end a principal's credential or object, in the order they are tried last.
ENDS_A_CREDENTIAL: list[Route] = [
    ("POST", "/v1/invitations/{invitation_id}/send"),  # a new link: the old token stops
    ("POST", "/v1/invitations/{invitation_id}/revoke"),
    ("POST", "/v1/schedules/{schedule_id}/stop"),  # stopped for good: resume is then 409
    ("DELETE", "/v1/me"),
    ("DELETE", "/v1/clients/{client_id}"),  # erases the client, its invitation and results
    ("POST", "/v1/auth/logout"),
]
#: Routes whose object is gone once one allowed principal got through.
DESTROYS_ITS_OBJECT: set[Route] = {("DELETE", "/v1/clients/{client_id}")}

#: Open to anyone: published content, sign-up, login and health.
PUBLIC: set[Route] = {
    ("GET", "/v1/questionnaires"),
    ("GET", "/v1/questionnaires/{questionnaire_id}"),  # published content, not anyone's object
    ("GET", "/v1/concepts"),
    ("POST", "/v1/respondents"),
    ("POST", "/v1/auth/token"),
    # "Forgot password": the same answer for any email; the emailed token is the credential.
    ("POST", "/v1/auth/password-reset"),
    ("POST", "/v1/auth/password-reset/confirm"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/"),  # where the documentation is (app/home.py)
    ("GET", "/favicon.ico"),
    ("GET", "/docs"),  # the documentation of the public contract (app/docs.py)
    ("GET", "/redoc"),
}
#: The intake pages: the token in the path is the only credential (tests/intake covers them).
EXEMPT: set[Route] = {
    ("GET", "/intake/static/intake.css"),
    ("GET", "/intake/{token}"),
    ("POST", "/intake/{token}"),
    # The MAC in the code is the credential; the only effect is the client's own opt-out.
    ("GET", "/email/unsubscribe/{code}"),
    ("POST", "/email/unsubscribe/{code}"),
    # The reset pages: the emailed token in the path is the credential (tests/accounts).
    ("GET", "/reset"),
    ("POST", "/reset"),
    ("GET", "/reset/{token}"),
    ("POST", "/reset/{token}"),
    # The operator's own bearer token, no principal's (tests/test_metrics.py covers it).
    ("GET", "/metrics"),
}


def app_routes(app: FastAPI) -> set[Route]:
    """Every (method, path) the app serves through a FastAPI route."""
    found = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            found |= {(method, str(context.path)) for method in context.methods or ()}
    return found


def names_an_object(path: str) -> bool:
    """Whether the path has an `{..._id}` parameter."""
    return any(part.startswith("{") and part.endswith("_id}") for part in path.split("/"))


def test_every_route_has_a_row() -> None:
    routes = app_routes(create_app(Settings(environment="test")))
    rows = set(OBJECT_ROWS) | set(ROLE_ROWS) | PUBLIC | EXEMPT
    rows |= set(CONSOLE_OBJECT_ROWS) | set(CONSOLE_ROLE_ROWS) | CONSOLE_PUBLIC
    missing = sorted(routes - rows)
    assert not missing, f"routes without a row in the access matrix: {missing}"
    assert not sorted(rows - routes), f"rows for routes the app no longer has: {rows - routes}"
    unrowed = sorted(
        r
        for r in routes
        if names_an_object(r[1]) and r not in OBJECT_ROWS | CONSOLE_OBJECT_ROWS and r not in PUBLIC
    )
    assert not unrowed, f"routes naming an object need an OBJECT_ROWS entry: {unrowed}"


def refusal_problems(response: httpx.Response, world: World, shown: list[str]) -> list[str]:
    """What is wrong with a refusal: its status, its form, or data it carries."""
    if response.status_code not in DENIED:
        return [f"answered {response.status_code}: {response.text[:200]}"]
    wrong = []
    if response.headers.get("content-type") != PROBLEM_JSON:
        wrong.append(f"content-type {response.headers.get('content-type')}")
    body = response.json()
    if not isinstance(body, dict) or set(body) - PROBLEM_FIELDS:
        wrong.append(f"fields beyond a problem's: {body}")
    elif body.get("status") != response.status_code:
        wrong.append(f"problem status {body.get('status')}")
    leaked = [secret for secret in world.secrets(*shown) if secret in response.text]
    if leaked:
        wrong.append(f"leaks {leaked}")
    for header in ("location", "etag"):
        if header in response.headers:
            wrong.append(f"header {header}: {response.headers[header]}")
    return wrong


async def send(
    client: httpx.AsyncClient, world: World, who: str, route: Route, spec: Row
) -> tuple[httpx.Response, list[str]]:
    """The row's request as a principal; also the ids its path names."""
    method, template = route
    path, shown = template, []
    for parameter, key in spec.ids.items():
        path = path.replace("{" + parameter + "}", world.ids[key])
        shown.append(world.ids[key])
    headers = world.headers[who] | spec.headers
    response = await client.request(method, path + spec.query, json=spec.body, headers=headers)
    return response, shown


async def refusals(
    client: httpx.AsyncClient, world: World, route: Route, spec: Row, allowed: set[str]
) -> list[str]:
    """Everyone but the allowed: refused, with nothing of the object in the answer."""
    failures = []
    for who in [p for p in PRINCIPALS if p not in allowed]:
        response, shown = await send(client, world, who, route, spec)
        failures += [f"{who}: {wrong}" for wrong in refusal_problems(response, world, shown)]
    return failures


async def admissions(
    client: httpx.AsyncClient, world: World, route: Route, spec: Row, allowed: set[str]
) -> list[str]:
    """The allowed get through: proof that the row names a real, reachable object."""
    failures = []
    for who in [p for p in PRINCIPALS if p in allowed]:
        response, _ = await send(client, world, who, route, spec)
        if response.status_code in DENIED:
            failures.append(f"{who} (allowed) got {response.status_code}: {response.text[:200]}")
        if route in DESTROYS_ITS_OBJECT:
            break  # the next allowed principal would find nothing left to reach
    return failures


def matrix() -> list[tuple[Route, Row, set[str]]]:
    """Every row with the principals it allows; those that end a credential come last."""
    rows = [
        (route, spec, set(spec.allowed)) for route, specs in OBJECT_ROWS.items() for spec in specs
    ]
    for route, spec in ROLE_ROWS.items():
        rows.append((route, spec, {who for who, kind in KINDS.items() if kind in spec.allowed}))
    last = {route: place for place, route in enumerate(ENDS_A_CREDENTIAL, start=1)}
    return sorted(rows, key=lambda entry: last.get(entry[0], 0))


async def test_no_principal_reaches_what_is_not_theirs(
    client: httpx.AsyncClient, app: FastAPI, subtests: pytest.Subtests
) -> None:
    """One world for the whole table: refusals change nothing, so they all go first."""
    world = await build_world(app, client)
    rows = matrix()
    for route, spec, allowed in rows:
        with subtests.test(msg=f"{' '.join(route)}: refused"):
            failures = await refusals(client, world, route, spec, allowed)
            assert not failures, json.dumps(failures, indent=1)
    for route, spec, allowed in rows:
        with subtests.test(msg=f"{' '.join(route)}: let in"):
            failures = await admissions(client, world, route, spec, allowed)
            assert not failures, json.dumps(failures, indent=1)


def console_matrix() -> list[tuple[Route, dict[str, str], dict[str, Any], set[str]]]:
    """Every console row with the principals it allows; those ending a session come last."""
    rows = [
        (route, ids, form, set(allowed))
        for route, (allowed, ids, form) in CONSOLE_OBJECT_ROWS.items()
    ]
    for route, (kinds, form) in CONSOLE_ROLE_ROWS.items():
        rows.append((route, {}, form, {who for who, kind in KINDS.items() if kind in kinds}))
    last = {route: place for place, route in enumerate(CONSOLE_ENDS_A_SESSION, start=1)}
    return sorted(rows, key=lambda entry: last.get(entry[0], 0))


async def test_no_principal_reaches_a_console_page_that_is_not_theirs(
    client: httpx.AsyncClient, app: FastAPI, subtests: pytest.Subtests
) -> None:
    """The console's routes against every principal, their token sent as the cookie."""
    world = await build_world(app, client)
    settings = app.state.settings
    rows = console_matrix()
    for route, ids, form, allowed in rows:
        with subtests.test(msg=f"{' '.join(route)}: refused"):
            failures = []
            for who in [p for p in PRINCIPALS if p not in allowed]:
                response, shown = await send_console(client, settings, world, who, route, ids, form)
                wrong = console_refusal_problems(response, world, shown)
                failures += [f"{who}: {problem}" for problem in wrong]
            assert not failures, json.dumps(failures, indent=1)
    for route, ids, form, allowed in rows:
        with subtests.test(msg=f"{' '.join(route)}: let in"):
            failures = []
            for who in [p for p in PRINCIPALS if p in allowed]:
                response, _ = await send_console(client, settings, world, who, route, ids, form)
                if not console_refusal_problems(response, world, []):
                    failures.append(f"{who} (allowed) got {response.status_code}")
            assert not failures, json.dumps(failures, indent=1)
