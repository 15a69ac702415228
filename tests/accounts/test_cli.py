"""`attune users create` as an operator runs it, on a fresh SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.accounts.staff import PASSWORD, login


def attune(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process, feeding it standard input."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=os.environ | {"ATTUNE_DATABASE_URL": database_url},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def create(url: str, email: str, *extra: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """`attune users create` in the organization "Clinic One"."""
    options = ["--email", email, "--organization", "Clinic One", *extra]
    return attune(url, "users", "create", *options, stdin=stdin)


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, Path]:
    """A migrated SQLite file: (URL, path)."""
    path = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrated = attune(url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    return url, path


async def test_the_first_admin_is_created_and_can_log_in(database: tuple[str, Path]) -> None:
    url, path = database
    made = create(url, "Admin@Clinic.test", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    user_id = uuid.UUID(made.stdout.strip())
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT email, role, password_hash FROM users").fetchone()
    assert row[:2] == ("admin@clinic.test", "admin")
    assert row[2].startswith("$argon2id$")
    app = create_app(Settings(database_url=url, environment="test"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            token = (await login(client, "admin@clinic.test")).json()["access_token"]
            me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["id"] == str(user_id)


def test_a_second_user_joins_the_named_organization_after_a_prompt(
    database: tuple[str, Path],
) -> None:
    url, path = database
    create(url, "admin@clinic.test", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    prompted = create(url, "sam@clinic.test", "--role", "therapist", stdin=f"{PASSWORD}\n" * 2)
    assert prompted.returncode == 0, prompted.stderr
    assert "Repeat for confirmation" in prompted.stdout
    assert PASSWORD not in prompted.stdout
    with sqlite3.connect(path) as db:
        organizations = db.execute("SELECT count(*) FROM organizations").fetchone()[0]
        roles = db.execute("SELECT email, role FROM users ORDER BY email").fetchall()
    assert organizations == 1
    assert roles == [("admin@clinic.test", "admin"), ("sam@clinic.test", "therapist")]


def test_bad_input_exits_1_with_the_reason_and_creates_nothing(
    database: tuple[str, Path],
) -> None:
    url, path = database
    create(url, "admin@clinic.test", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    again = create(url, "ADMIN@clinic.test", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    short = create(url, "sam@clinic.test", "--role", "admin", "--password-stdin", stdin="short")
    bad_role = create(url, "kim@clinic.test", "--role", "owner", "--password-stdin", stdin=PASSWORD)
    assert (again.returncode, short.returncode, bad_role.returncode) == (1, 1, 2)
    assert "email: This email is already in use." in again.stderr
    assert "password: Use 12 to 1024 characters." in short.stderr
    assert "owner" in bad_role.stderr
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 1


def test_help_explains_the_options() -> None:
    result = attune("sqlite+aiosqlite:///:memory:", "users", "create", "--help")
    for option in ("--email", "--role", "--organization", "--password-stdin"):
        assert option in result.stdout
