"""The `attune` command: serve, migrate, questionnaires, users, rescore, export."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import socket
import tempfile
from typing import Annotated

import typer

from app.accounts.cli import users_app
from app.config import Settings, get_settings
from app.metrics import MULTIPROCESS_DIR
from app.questionnaires.cli import questionnaires_app
from app.research.cli import export_command

cli = typer.Typer(
    help="Attune: nervous-system self-check questionnaires as a REST service.",
    no_args_is_help=True,
    add_completion=False,
)
cli.add_typer(questionnaires_app, name="questionnaires")
cli.add_typer(users_app, name="users")
cli.command("export")(export_command)


def listening_url(host: str, port: int) -> str:
    """The base URL of a server listening on host:port (this machine's name for 0.0.0.0)."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (naming the wildcard, not binding it)
        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the API with uvicorn (run `attune migrate` first).

    Limits come from settings: ATTUNE_TRUSTED_PROXIES (whose X-Forwarded-For is believed),
    ATTUNE_HTTP_HEADER_TIMEOUT, ATTUNE_HTTP_MAX_HEADER_BYTES, ATTUNE_HTTP_TIMEOUT_KEEP_ALIVE
    and ATTUNE_HTTP_LIMIT_CONCURRENCY.
    """
    import uvicorn

    from app.logs import log_config
    from app.serving import uvicorn_options

    settings = get_settings()
    if workers > 1 and not os.environ.get(MULTIPROCESS_DIR):
        # Each worker writes its metrics to files here; a scrape of any worker sums them.
        # A fresh folder per start: values of an earlier run must not be summed in.
        metrics_dir = tempfile.mkdtemp(prefix="attune-metrics-")
        atexit.register(shutil.rmtree, metrics_dir, ignore_errors=True)
        os.environ[MULTIPROCESS_DIR] = metrics_dir
    # Intake links point where this server listens unless ATTUNE_PUBLIC_URL says otherwise;
    # the workers read it from the environment (production has refused to start without it).
    os.environ.setdefault("ATTUNE_PUBLIC_URL", listening_url(host, port))
    get_settings.cache_clear()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        **uvicorn_options(settings),
        log_level=settings.log_level.lower(),
        # The app logs each request itself (app.logs.RequestLog): route templates, not the
        # raw paths and query strings uvicorn's access log would print (intake tokens).
        log_config=log_config(settings.log_format, settings.log_level),
        access_log=False,
    )


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the database migrations (ATTUNE_DATABASE_URL; SQLite ./attune.db by default)."""
    from app.migrations import upgrade

    upgrade(revision=revision)
    typer.echo(f"database at {revision}")


@questionnaires_app.command("load")
def load_questionnaires() -> None:
    """Validate the built-in definitions and record them in the database."""
    added = asyncio.run(_load(get_settings()))
    typer.echo(f"recorded: {', '.join(added)}" if added else "all definitions already recorded")


async def _load(settings: Settings) -> list[str]:
    from app.db import create_engine, create_sessionmaker
    from app.questionnaires.registry import Registry
    from app.questionnaires.service import record_definitions

    registry = Registry.load(support_file=settings.support_file)
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine).begin() as session:
            return await record_definitions(session, registry)
    finally:
        await engine.dispose()


@cli.command()
def rescore(
    limit: Annotated[int | None, typer.Option(help="Check at most this many results.")] = None,
) -> None:
    """Recompute stored results under the current engine and report any that differ.

    Exits 1 when a result differs, so a release that changes scoring is noticed.
    """
    from app.rescore import rescore_all

    report = asyncio.run(rescore_all(get_settings(), limit=limit))
    for line in report.differences:
        typer.echo(line)
    typer.echo(
        f"checked {report.checked} result(s): {report.same} the same, "
        f"{len(report.differences)} different (engine {report.engine_version})"
    )
    raise typer.Exit(1 if report.differences else 0)


def main() -> None:
    """Entry point of the `attune` console script."""
    cli()


if __name__ == "__main__":
    main()
