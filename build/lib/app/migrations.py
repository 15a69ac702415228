"""Running the Alembic migrations from code (the CLI, tests and the smoke check use this)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from app.config import get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's configuration for this project, optionally for another database.

    The migrations live beside the package in a checkout, and in the working directory of
    an installed copy (the Docker image copies `alembic/` and `alembic.ini` there).
    """
    root = Path.cwd() if (Path.cwd() / "alembic.ini").is_file() else PROJECT_ROOT
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "alembic"))
    config.attributes["database_url"] = database_url or get_settings().database_url
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    """Migrate a database up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    """Migrate a database down to `revision`."""
    command.downgrade(alembic_config(database_url), revision)
