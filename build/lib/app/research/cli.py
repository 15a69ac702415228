"""`attune export`: the research export written to a file, for exports too large for a browser.

The same rows as GET /v1/research/export (one code path: `audited_export`), audited with no
user and `via: cli`.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings, get_settings
from app.errors import AppError

if TYPE_CHECKING:
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
    start: date | None
    end: date | None
    format: str
    study: str | None
    items: bool
    output: Path


DAY = ["%Y-%m-%d"]


def export_command(
    organization_id: Annotated[uuid.UUID, typer.Option(help="The organization whose data.")],
    questionnaire: Annotated[str, typer.Option(help="Questionnaire id.")],
    output: Annotated[Path, typer.Option(help="The file to write (replaced when done).")],
    version: Annotated[str | None, typer.Option(help="Version; the latest if absent.")] = None,
    start: Annotated[
        datetime | None, typer.Option("--from", formats=DAY, help="First day (UTC).")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", formats=DAY, help="Last day (UTC), inclusive.")
    ] = None,
    format: Annotated[ExportFormat, typer.Option(help="csv or jsonl.")] = ExportFormat.csv,
    study: Annotated[str | None, typer.Option(help="Use this study's pseudonyms.")] = None,
    items: Annotated[bool, typer.Option(help="Include item answers.")] = False,
) -> None:
    """Export consented, scored assessments, de-identified, to a file (progress on stderr)."""
    request = ExportRequest(
        organization_id,
        questionnaire,
        version,
        start.date() if start else None,
        end.date() if end else None,
        format.value,
        study,
        items,
        output,
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

    engine = create_engine(settings)
    try:
        spec = await _spec(settings, engine, request)
        total = await count_rows(engine, spec)
        return await _write(engine, spec, request, total)
    finally:
        await engine.dispose()


async def _spec(settings: Settings, engine: AsyncEngine, request: ExportRequest) -> ExportSpec:
    """What to export, checked as the API checks it (unknown questionnaire or study: an error)."""
    from app.questionnaires.registry import Registry
    from app.research import studies
    from app.research.service import ExportSpec

    definition = Registry.load(support_file=settings.support_file).get(
        request.questionnaire, request.version
    )
    study = None
    if request.study is not None:
        async with AsyncSession(engine) as session:
            study = await studies.study_named(session, request.organization_id, request.study)
    scope = studies.scope_of(study, settings.secret_key.get_secret_value())
    return ExportSpec(
        request.organization_id,
        definition,
        scope,
        request.start,
        request.end,
        request.items,
        request.format,
    )


async def _write(engine: AsyncEngine, spec: ExportSpec, request: ExportRequest, total: int) -> int:
    """Write the export next to the output, then move it into place: no half files."""
    from app.research.export import ExportRun, audited_export

    partial = request.output.with_name(request.output.name + ".part")
    run = ExportRun(request.organization_id, None, via="cli")
    with (
        partial.open("wb") as file,
        typer.progressbar(length=total, label="rows", file=sys.stderr) as bar,
    ):
        async with aclosing(audited_export(engine, spec, run)) as chunks:
            async for chunk in chunks:
                file.write(chunk.data)
                bar.update(chunk.rows)
    partial.replace(request.output)
    return run.rows
