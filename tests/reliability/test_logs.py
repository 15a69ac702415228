"""The real server's logs: one JSON object per line with a request id, and no personal data.

Real flows run against `attune serve` (a respondent answering and submitting, staff logging in
with a password, a client with a label and an email, an intake link used to the end) with the
secrets also put where careless logging would catch them (a query string, an unmatched path
under /intake/<token>). Then the server's whole output is searched for every one of them.
Logging does not depend on the database, so this runs on SQLite only.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from app.logs import JSONFormatter, incoming_request_id
from tests.conftest import clear_rows
from tests.intake.links import RADIO
from tests.reliability.serving import start_server

OUR_REQUEST_ID = "trace-0123456789abcdef"
# An address's domain starts with a letter; `connection@1.0.0` (a definition) is not one.
EMAIL = re.compile(r"[\w.+-]+@[A-Za-z][\w-]*(\.[A-Za-z][\w-]*)+")
TOKEN_PREFIXES = ("atr_", "ats_", "ati_")


@dataclass
class Seen:
    """What the flows handled that must never be logged, and how many requests they made."""

    secrets: set[str] = field(default_factory=set)
    item_ids: set[str] = field(default_factory=set)
    requests: int = 0

    async def hook(self, _request: httpx.Request) -> None:
        """Count every request sent (httpx event hook)."""
        self.requests += 1


@dataclass
class Logs:
    """The server's output, line by line, and what the flows kept secret."""

    lines: list[str]
    seen: Seen


async def _respondent_flow(http: httpx.AsyncClient, seen: Seen) -> None:
    """Answer in two saves, submit, read the result; then a one-shot submission."""
    token = (await http.post("/v1/respondents", json={})).json()["token"]
    seen.secrets.add(token)
    auth = {"Authorization": f"Bearer {token}"}
    definition = (await http.get("/v1/questionnaires/window-of-tolerance")).json()
    items = [item["id"] for item in definition["items"]]
    seen.item_ids.update(items)
    body = {"questionnaire_id": "window-of-tolerance", "answers": {i: 3 for i in items[:4]}}
    created = await http.post("/v1/assessments", json=body, headers=auth)
    path = created.headers["location"]
    etag = {"If-Match": created.headers["etag"]}
    saved = await http.put(
        f"{path}/answers", json={"answers": {i: 1 for i in items[4:]}}, headers=auth | etag
    )
    assert saved.status_code == 200, saved.text
    submitted = await http.post(f"{path}/submit", headers=auth | {"Idempotency-Key": "k-1"})
    assert submitted.status_code == 200, submitted.text
    assert (await http.get(f"{path}/result", headers=auth)).status_code == 200
    one_shot = {"id": str(uuid.uuid4()), "answered_at": "2026-11-20T08:30:00Z"} | body
    one_shot["answers"] = {i: 2 for i in items}
    assert (await http.post("/v1/submissions", json=one_shot, headers=auth)).status_code == 201
    # Tokens where a careless client puts them: the query string must not be logged either.
    await http.get("/v1/me/assessments", params={"access_token": token}, headers=auth)


def _create_staff(database_url: str, email: str, password: str) -> None:
    command = [sys.executable, "-m", "app.cli", "users", "create", "--email", email]
    command += ["--role", "therapist", "--organization", f"Logs {uuid.uuid4().hex[:6]}"]
    done = subprocess.run(
        [*command, "--password-stdin"],
        input=password + "\n",
        env={"ATTUNE_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def _staff_flow(http: httpx.AsyncClient, seen: Seen, database_url: str) -> str:
    """Log in (once wrongly), add a client with a label and an email, make an intake link."""
    email, password = f"therapist.{uuid.uuid4().hex[:6]}@clinic.example", "correct horse 42!"
    label, client_email = "M. K. (Wednesdays)", "m.k.private@example.org"
    seen.secrets.update({email, password, label, client_email, "wrong battery 42!"})
    _create_staff(database_url, email, password)
    wrong = await http.post(
        "/v1/auth/token", data={"username": email, "password": "wrong battery 42!"}
    )
    assert wrong.status_code == 401
    login = await http.post("/v1/auth/token", data={"username": email, "password": password})
    assert login.status_code == 200, login.text
    seen.secrets.add(login.json()["access_token"])
    staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
    made = await http.post(
        "/v1/clients", json={"label": label, "email": client_email}, headers=staff
    )
    assert made.status_code == 201, made.text
    invitation = await http.post(
        f"/v1/clients/{made.json()['id']}/invitations",
        json={"questionnaires": ["three-item-loneliness"]},
        headers=staff,
    )
    assert invitation.status_code == 201, invitation.text
    seen.secrets.add(invitation.json()["token"])
    assert (await http.get(f"/v1/clients/{made.json()['id']}/results", headers=staff)).is_success
    return str(invitation.json()["token"])


async def _intake_flow(http: httpx.AsyncClient, seen: Seen, token: str) -> None:
    """Open the link, answer every item, submit; then an unmatched path under the link."""
    page = await http.get(f"/intake/{token}")
    assert page.status_code == 200
    form: dict[str, Any] = {"step": "1", "action": "submit", "consent": "yes"}
    for _input_id, item_id, value in RADIO.findall(page.text):
        form.setdefault(f"answer-{item_id}", value)
        seen.item_ids.add(item_id)
    sent = await http.post(f"/intake/{token}", data=form)
    assert sent.status_code == 200, sent.text
    assert (await http.get(f"/intake/{token}/not-a-page")).status_code == 404


@pytest.fixture(scope="module")
async def logs(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Logs]:
    """Run every flow against a real server once; its output, once it has stopped."""
    log_path = tmp_path_factory.mktemp("logs") / "server.log"
    server = start_server(sqlite_url, log_path)
    seen = Seen()
    try:
        hooks = {"request": [seen.hook]}
        async with httpx.AsyncClient(base_url=server.base_url, event_hooks=hooks) as http:
            traced = await http.get("/healthz", headers={"X-Request-ID": OUR_REQUEST_ID})
            assert traced.headers["x-request-id"] == OUR_REQUEST_ID
            await _respondent_flow(http, seen)
            token = await _staff_flow(http, seen, sqlite_url)
            await _intake_flow(http, seen, token)
    finally:
        server.stop()
    yield Logs(server.output().splitlines(), seen)
    engine = create_async_engine(sqlite_url)
    await clear_rows(engine)
    await engine.dispose()


def _parsed(logs: Logs) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.lines if line.strip()]


def test_every_line_is_a_json_object_with_a_request_id(logs: Logs) -> None:
    records = _parsed(logs)
    assert records
    for record in records:
        assert {"time", "level", "logger", "message", "request_id"} <= record.keys(), record


def test_every_request_is_logged_once_with_its_id_and_route(logs: Logs) -> None:
    access = [r for r in _parsed(logs) if r["logger"] == "attune.access"]
    assert len(access) == logs.seen.requests + 1  # the readiness check before the flows
    assert len({r["request_id"] for r in access}) == len(access)
    for record in access:
        assert record["request_id"]
        assert record["method"] in {"GET", "POST", "PUT"}
        assert record["status"] >= 200
        assert record["duration_ms"] >= 0
    [traced] = [r for r in access if r["request_id"] == OUR_REQUEST_ID]
    assert traced["route"] == "/healthz"
    routes = {r["route"] for r in access}
    assert {"/intake/{token}", "/v1/assessments/{assessment_id}/answers"} <= routes


def test_no_token_password_email_or_label_is_logged(logs: Logs) -> None:
    text = "\n".join(logs.lines)
    assert len(logs.seen.secrets) >= 8
    for secret in logs.seen.secrets:
        assert secret not in text
    for prefix in TOKEN_PREFIXES:
        assert prefix not in text
    assert EMAIL.search(text) is None


def test_no_answer_is_logged(logs: Logs) -> None:
    text = "\n".join(logs.lines)
    assert len(logs.seen.item_ids) > 10
    for item_id in logs.seen.item_ids:
        assert item_id not in text
    assert "answer-" not in text
    assert '"answers"' not in text


@pytest.mark.parametrize(
    "sent",
    [b"atr_AbCdEfGhIjKlMnOp", b"with spaces inside", b"x" * 65, b"short", b"caf\xc3\xa9-123456"],
)
def test_a_request_id_that_is_not_an_id_is_replaced(sent: bytes) -> None:
    chosen = incoming_request_id({"type": "http", "headers": [(b"x-request-id", sent)]})
    assert re.fullmatch(r"[0-9a-f]{32}", chosen)


def test_an_error_is_logged_by_type_and_place_not_by_message() -> None:
    # A database error's message quotes the parameters it was writing: here, an answer.
    # (Built at run time: the traceback shows the source line, which must not hold it.)
    answer = "-".join(("calm", "1"))
    try:
        raise ValueError(f"could not store the answers ({answer}: 3)")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("attune", logging.ERROR, __file__, 1, "failed", (), exc_info)
    line = json.loads(JSONFormatter().format(record))
    assert line["error"] == "ValueError"
    assert "test_logs.py" in line["traceback"]
    assert "calm-1" not in json.dumps(line)
