"""`attune export`: the research export written to a file, for exports too large for a browser.

The same rows as GET /v1/research/export (one code path: `audited_export`), under the same
rules (periods no finer than the rows show, at least k people), audited with no user and
`via: cli`.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from contextlib import aclosing
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings, get_settings
from app.errors import AppError

if TYPE_CHECKING:
    from app.research.readers import ExportReaders
    from app.research.service import ExportSpec


class ExportFormat(StrEnum):
    """The file formats of an export."""

    csv = "csv"
    jsonl = "jsonl"


@dataclass(frozen=True)
class ExportRequest:
    """The command's options."""

    organization_id: uuid.UUID
    questionnaire: str
    version: str | None
    start: str | None
    end: str | None
    format: str
    study: str | None
    items: bool
    output: Path


PERIOD = (
    "a year (2024); a month (2024-03) or ISO week (2024-W05) only with the --study of a study "
    "an admin designated for it. Days are refused: no filter is finer than the rows show"
)


def export_command(
    organization_id: Annotated[uuid.UUID, typer.Option(help="The organization whose data.")],
    questionnaire: Annotated[str, typer.Option(help="Questionnaire id.")],
    output: Annotated[Path, typer.Option(help="The file to write (replaced when done).")],
    version: Annotated[str | None, typer.Option(help="Version; the latest if absent.")] = None,
    start: Annotated[
        str | None, typer.Option("--from", metavar="PERIOD", help=f"First period (UTC): {PERIOD}.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", metavar="PERIOD", help="Last period (UTC), inclusive.")
    ] = None,
    format: Annotated[ExportFormat, typer.Option(help="csv or jsonl.")] = ExportFormat.csv,
    study: Annotated[str | None, typer.Option(help="Use this study's pseudonyms.")] = None,
    items: Annotated[bool, typer.Option(help="Include item answers.")] = False,
) -> None:
    """Export consented, scored assessments, de-identified, to a file (progress on stderr).

    Refused when the rows would belong to fewer than ATTUNE_RESEARCH_MIN_CELL people.
    """
    request = ExportRequest(
        organization_id, questionnaire, version, start, end, format.value, study, items, output
    )
    try:
        rows = asyncio.run(_export(get_settings(), request))
    except (AppError, LookupError) as error:
        typer.echo(getattr(error, "detail", str(error)), err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{rows} row(s) written to {output}", err=True)


async def _export(settings: Settings, request: ExportRequest) -> int:
    from app.db import create_engine
    from app.research.export import count_rows
    from app.research.readers import ExportReaders

    engine = create_engine(settings)
    readers = ExportReaders(settings)
    try:
        spec = await _spec(settings, engine, request)
        total = await count_rows(readers, spec)
        return await _write(readers, engine, spec, request, total)
    finally:
        await readers.dispose()
        await engine.dispose()


async def _spec(settings: Settings, engine: AsyncEngine, request: ExportRequest) -> ExportSpec:
    """What to export, checked as the API checks it (unknown questionnaire or study, a period
    finer than the rows show, fewer than k people: an error)."""
    from app.questionnaires.registry import Registry
    from app.research import studies
    from app.research.periods import units_shown, window
    from app.research.population import require_people
    from app.research.service import ExportSpec, people_statement

    definition = Registry.load(support_file=settings.support_file).get(
        request.questionnaire, request.version
    )
    async with AsyncSession(engine) as session:
        study = None
        if request.study is not None:
            study = await studies.study_named(session, request.organization_id, request.study)
        scope = studies.scope_of(study, settings.secret_key.get_secret_value())
        period = window(request.start, request.end, units_shown(scope.finer_time))
        spec = ExportSpec(
            request.organization_id, definition, scope, period, request.items, request.format
        )
        await require_people(session, people_statement(spec), settings.research_min_cell, "export")
    return spec


async def _write(
    readers: ExportReaders,
    engine: AsyncEngine,
    spec: ExportSpec,
    request: ExportRequest,
    total: int,
) -> int:
    """Write the export next to the output, then move it into place: no half files."""
    from app.research.export import ExportRun, audited_export

    partial = request.output.with_name(request.output.name + ".part")
    run = ExportRun(request.organization_id, None, via="cli")
    with (
        partial.open("wb") as file,
        typer.progressbar(length=total, label="rows", file=sys.stderr) as bar,
    ):
        async with aclosing(audited_export(readers, engine, spec, run)) as chunks:
            async for chunk in chunks:
                file.write(chunk.data)
                bar.update(chunk.rows)
    partial.replace(request.output)
    return run.rows
