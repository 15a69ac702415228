"""`attune users`: create staff accounts from the shell (the first admin has no one to ask)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from enum import StrEnum
from typing import Annotated

import typer

from app.config import Settings, get_settings
from app.errors import AppError

users_app = typer.Typer(
    help=(
        "Staff accounts. Use `users create` for an organization's first admin; after that, "
        "admins add users through POST /v1/users."
    ),
    no_args_is_help=True,
)


class RoleChoice(StrEnum):
    """The roles a staff member can have."""

    admin = "admin"
    therapist = "therapist"
    researcher = "researcher"


@users_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="Login email (stored lower-cased).")],
    role: Annotated[RoleChoice, typer.Option(help="What the user may do.")],
    organization: Annotated[
        str, typer.Option(help="Organization name; it is created when none has this name.")
    ],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of standard input instead of prompting.",
        ),
    ] = False,
) -> None:
    """Create a staff user (at least 12-character password) and print the new user's id."""
    password = _read_password(password_stdin)
    try:
        user_id = asyncio.run(_create(get_settings(), email, role.value, organization, password))
    except AppError as error:
        for field in error.extensions.get("errors", []):
            typer.echo(f"{field['pointer'].removeprefix('#/')}: {field['detail']}", err=True)
        typer.echo(error.detail, err=True)
        raise typer.Exit(1) from error
    typer.echo(str(user_id))


def _read_password(from_stdin: bool) -> str:
    """The password from stdin's first line (without its newline), or asked for twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


async def _create(
    settings: Settings, email: str, role: str, organization: str, password: str
) -> uuid.UUID:
    from app.accounts import service
    from app.db import create_engine, create_sessionmaker

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine).begin() as session:
            found = await service.organization_named(session, organization)
            user = await service.create_user(session, found.id, email, password, role)
            return user.id
    finally:
        await engine.dispose()
