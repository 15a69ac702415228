"""The console's rows of the access matrix: every /console route, and who may reach it.

The console authenticates with a cookie holding a staff token, so each principal's bearer
token is sent as that cookie instead (a respondent's or an intake token is simply not a
staff token). Unsafe requests carry a valid CSRF token for the principal's cookie and this
origin: what is tested here is access, not CSRF (tests/console covers that).
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from app.accounts.models import ADMIN, RESEARCHER, THERAPIST
from app.config import Settings
from app.console.session import COOKIE, PRE_SESSION_COOKIE
from app.web.csrf import csrf_token
from tests.security.world import World

Route = tuple[str, str]
STAFF = frozenset({ADMIN, THERAPIST, RESEARCHER})
CLINIC = frozenset({ADMIN, THERAPIST})
#: A refusal: sent to sign in (no staff session), or a page saying no (403) or not found.
REFUSED = {303, 403, 404}
CLIENT = {"client_id": "client"}
SCHEDULE = {"schedule_id": "schedule"}
STUDY = {"study_id": "study"}
#: The query of the research pages (a GET row's "form" is sent as its query).
RESEARCH_QUERY = {"questionnaire": "window-of-tolerance"}
#: Stands for a new once-only form nonce in each request.
FRESH = "<fresh nonce>"

#: Routes naming an object of organization A: (principals allowed, path ids, form).
CLINICIANS_A = frozenset({"therapist_a", "admin_a"})
CONSOLE_OBJECT_ROWS: dict[Route, tuple[frozenset[str], dict[str, str], dict[str, Any]]] = {
    ("GET", "/console/results/{result_id}"): (CLINICIANS_A, {"result_id": "result"}, {}),
    ("POST", "/console/results/{result_id}/acknowledge"): (
        CLINICIANS_A,
        {"result_id": "result"},
        {},
    ),
    ("GET", "/console/clients/{client_id}"): (CLINICIANS_A, CLIENT, {}),
    ("GET", "/console/clients/{client_id}/edit"): (CLINICIANS_A, CLIENT, {}),
    ("GET", "/console/clients/{client_id}/print"): (CLINICIANS_A, CLIENT, {}),
    ("POST", "/console/clients/{client_id}/edit"): (
        CLINICIANS_A,
        CLIENT,
        {"label": "Client Alpha (Thursdays)"},
    ),
    ("POST", "/console/clients/{client_id}/invitations"): (
        CLINICIANS_A,
        CLIENT,
        {"questionnaires": "connection", "expires_in_days": "7", "form_nonce": FRESH},
    ),
    ("POST", "/console/admin/users/{user_id}"): (
        frozenset({"admin_a"}),
        {"user_id": "therapist_a2"},
        {"role": THERAPIST, "is_active": "yes"},
    ),
    ("POST", "/console/invitations/{invitation_id}/revoke"): (
        CLINICIANS_A,
        {"invitation_id": "invitation"},
        {},
    ),
    # console-pages: schedules, re-sending a link, study designations.
    ("POST", "/console/invitations/{invitation_id}/send"): (
        CLINICIANS_A,
        {"invitation_id": "invitation"},
        {"language": "en", "form_nonce": FRESH},
    ),
    ("POST", "/console/clients/{client_id}/schedules"): (
        CLINICIANS_A,
        CLIENT,
        {
            "questionnaires": "connection",
            "every": "2",
            "unit": "weeks",
            "starts_at": "2030-01-07",
            "start_time": "09:00",
            "ends_by": "count",
            "count": "3",
            "expires_in_days": "7",
            "max_reminders": "2",
            "language": "en",
            "form_nonce": FRESH,
        },
    ),
    ("POST", "/console/schedules/{schedule_id}/pause"): (CLINICIANS_A, SCHEDULE, {}),
    ("POST", "/console/schedules/{schedule_id}/resume"): (CLINICIANS_A, SCHEDULE, {}),
    ("POST", "/console/schedules/{schedule_id}/stop"): (CLINICIANS_A, SCHEDULE, {}),
    ("GET", "/console/admin/studies/{study_id}"): (frozenset({"admin_a"}), STUDY, {}),
    ("POST", "/console/admin/studies/{study_id}/designation"): (
        frozenset({"admin_a"}),
        STUDY,
        {"designation": "limited_data_set", "finer_time": "month"},
    ),
}

#: Routes without an object id: (kinds allowed, form).
CONSOLE_ROLE_ROWS: dict[Route, tuple[frozenset[str], dict[str, Any]]] = {
    ("GET", "/console"): (STAFF, {}),
    ("POST", "/console/sign-out"): (STAFF, {}),
    ("GET", "/console/password"): (STAFF, {}),
    ("POST", "/console/password"): (STAFF, {"current_password": "x", "new_password": "y"}),
    ("GET", "/console/clients"): (CLINIC, {}),
    ("GET", "/console/clients/new"): (CLINIC, {}),
    ("POST", "/console/clients"): (CLINIC, {"label": "New client", "form_nonce": FRESH}),
    ("GET", "/console/admin/users"): (frozenset({ADMIN}), {}),
    ("GET", "/console/admin/webhook"): (frozenset({ADMIN}), {}),
    ("POST", "/console/admin/webhook"): (frozenset({ADMIN}), {"url": "https://clinic.example/h"}),
    ("POST", "/console/admin/webhook/remove"): (frozenset({ADMIN}), {}),
    ("GET", "/console/admin/audit"): (frozenset({ADMIN}), {"action": "result.read"}),
    ("GET", "/console/research"): (frozenset({RESEARCHER}), {}),
    ("GET", "/console/research/export"): (frozenset({RESEARCHER}), RESEARCH_QUERY),
    ("GET", "/console/research/codebook"): (frozenset({RESEARCHER}), RESEARCH_QUERY),
    ("GET", "/console/research/aggregates"): (frozenset({RESEARCHER}), RESEARCH_QUERY),
    ("POST", "/console/research/studies"): (frozenset({RESEARCHER}), {"name": "Console study"}),
    ("POST", "/console/admin/users"): (
        frozenset({ADMIN}),
        {"email": "new@clinic.test", "password": "a long password", "role": THERAPIST},
    ),
    # console-pages: the organization's support lines and its studies.
    ("GET", "/console/admin/support"): (frozenset({ADMIN}), {"edit": "0"}),
    ("POST", "/console/admin/support/country"): (frozenset({ADMIN}), {"country": "MX"}),
    ("POST", "/console/admin/support/lines"): (
        frozenset({ADMIN}),
        {"name": "Clinic line", "description": "Our on-call therapist, weekdays 9 to 17."},
    ),
    # The lines an admin reaches are always their own organization's: a form naming a line
    # that is not there (or lines it was not shown) is a 409 page that changes nothing.
    ("POST", "/console/admin/support/lines/remove"): (
        frozenset({ADMIN}),
        {"line": "0", "fingerprint": "not what was shown"},
    ),
    ("GET", "/console/admin/studies"): (frozenset({ADMIN}), {}),
    ("POST", "/console/admin/studies"): (frozenset({ADMIN}), {"name": "Admin's study"}),
}

#: Open to anyone: signing in and the console's own stylesheet and script.
CONSOLE_PUBLIC: set[Route] = {
    ("GET", "/"),
    ("GET", "/console/sign-in"),
    ("POST", "/console/sign-in"),
    ("GET", "/console/static/{name}"),
    # The language switch: a preference cookie, for anyone (the sign-in page has it too).
    ("POST", "/console/language"),
}

#: Admissions that end the principal's session, tried last.
CONSOLE_ENDS_A_SESSION: list[Route] = [("POST", "/console/sign-out")]


def cookie_of(headers: dict[str, str]) -> str | None:
    """The principal's token as the console cookie (None for nobody)."""
    authorization = headers.get("Authorization", "")
    return authorization.removeprefix("Bearer ") or None


async def send_console(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    who: str,
    route: Route,
    ids: dict[str, str],
    form: dict[str, Any],
) -> tuple[httpx.Response, list[str]]:
    """The request as a principal with a console cookie; also the ids its path names."""
    method, path = route
    shown = []
    for parameter, key in ids.items():
        path = path.replace("{" + parameter + "}", world.ids[key])
        shown.append(world.ids[key])
    token = cookie_of(world.headers[who])
    name, binding = (COOKIE, token) if token else (PRE_SESSION_COOKIE, "pre-session-value")
    headers = {"Cookie": f"{name}={binding}", "Origin": "http://attune.test"}
    data, params = None, form if method == "GET" else None
    if method != "GET":
        secret = settings.secret_key.get_secret_value()
        fresh = {k: secrets.token_urlsafe(24) for k, v in form.items() if v == FRESH}
        data = {"csrf_token": csrf_token(secret, binding), **form, **fresh}
    response = await client.request(method, path, data=data, params=params, headers=headers)
    return response, shown


def console_refusal_problems(response: httpx.Response, world: World, shown: list[str]) -> list[str]:
    """What is wrong with a refusal: its status, where it sends, or data it carries."""
    if response.status_code not in REFUSED:
        return [f"answered {response.status_code}: {response.text[:200]}"]
    location = response.headers.get("location", "")
    if response.status_code == 303 and not (
        location == "/console/sign-in" or location.startswith("/console/sign-in?next=")
    ):
        return [f"sent to {response.headers['location']}"]
    leaked = [secret for secret in world.secrets(*shown) if secret in response.text]
    return [f"leaks {leaked}"] if leaked else []
