"""`attune questionnaires`: list, validate, publish the schema of, and lock the definitions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.questionnaires.model import Definition
from app.questionnaires.registry import (
    DEFAULT_DIR,
    DefinitionLoadError,
    Registry,
    check_lock,
    definition_files,
    load_definition,
    load_definitions,
    lock_path,
    read_lock,
    render_lock,
)

questionnaires_app = typer.Typer(
    help=(
        "Questionnaire definitions (YAML files validated at start-up): list them, validate "
        "them, print the JSON Schema of the format, and lock published versions."
    ),
    no_args_is_help=True,
)

DirOption = Annotated[
    Path,
    typer.Option(
        "--dir",
        help="Directory of definition files; its lock file is the .lock file beside it.",
        exists=True,
        file_okay=False,
    ),
]


def _fail(error: DefinitionLoadError) -> typer.Exit:
    typer.echo(str(error), err=True)
    return typer.Exit(1)


@questionnaires_app.command("list")
def list_definitions(
    directory: DirOption = DEFAULT_DIR,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON with the full content hashes.")
    ] = False,
) -> None:
    """List every definition: id, version, validated, locales and content hash."""
    try:
        registry = Registry.load(directory)
    except DefinitionLoadError as error:
        raise _fail(error) from error
    definitions = registry.all()
    if as_json:
        rows = [
            {
                "id": d.id,
                "version": d.version,
                "validated": d.validated,
                "locales": d.locales,
                "hash": registry.hash(d),
            }
            for d in definitions
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(f"{'id':<26} {'version':<9} {'validated':<10} {'locales':<8} hash")
    for d in definitions:
        validated = "yes" if d.validated else "no"
        typer.echo(
            f"{d.id:<26} {d.version:<9} {validated:<10} {','.join(d.locales):<8} "
            f"{registry.hash(d)[:12]}"
        )


@questionnaires_app.command()
def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Definition files to check. Default: every built-in definition, and then the "
            "whole registry (duplicates, lock file, concepts, support).",
            show_default=False,
        ),
    ] = None,
    directory: DirOption = DEFAULT_DIR,
) -> None:
    """Check definition files against the format; print ok per file, exit 1 on any problem."""
    paths = files or definition_files(directory)
    failed = False
    for path in paths:
        try:
            definition = load_definition(path)
        except DefinitionLoadError as error:
            typer.echo(str(error), err=True)
            failed = True
        else:
            typer.echo(f"ok  {path} ({definition.key})")
    if not files and not failed:
        try:
            registry = Registry.load(directory)
        except DefinitionLoadError as error:
            raise _fail(error) from error
        typer.echo(f"ok  registry: {len(registry.all())} definitions, lock, concepts, support")
    if failed:
        raise typer.Exit(1)


@questionnaires_app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of printing."),
    ] = None,
) -> None:
    """Print the JSON Schema of the definition format, for editors that validate YAML."""
    text = json.dumps(Definition.model_json_schema(by_alias=True), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")


@questionnaires_app.command()
def lock(
    directory: DirOption = DEFAULT_DIR,
    check: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 if the lock file is not current."),
    ] = False,
) -> None:
    """Record the content hash of every id@version; a locked hash is never changed.

    Editing a published definition without a new version is refused: bump the version.
    Entries of definitions no longer on disk are kept, since stored results refer to them.
    """
    path = lock_path(directory)
    try:
        files = load_definitions(directory)
        entries = read_lock(path)
        check_lock(files, entries)
    except DefinitionLoadError as error:
        raise _fail(error) from error
    missing = {d.key: d.content_hash() for d in files.values() if d.key not in entries}
    for key, digest in sorted(missing.items()):
        typer.echo(f"{'missing' if check else 'added'}  {key}  {digest[:12]}")
    if check:
        typer.echo(f"{path} is {'not current' if missing else 'current'}")
        raise typer.Exit(1 if missing else 0)
    if missing:
        path.write_text(render_lock({**entries, **missing}), encoding="utf-8")
        typer.echo(f"wrote {path}")
    else:
        typer.echo(f"{path} is current")
