"""Streaming an export: a server-side cursor, CSV or JSON Lines chunks, and its audit entry.

One code path for the API and the CLI: both iterate `audited_export`. It owns its database
connection (the request's session has committed and closed before a streamed body runs), so
memory stays flat, and closing it early (a client that disconnects) stops the query and still
records how many rows went out.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.service import record
from app.research.service import ExportSpec, column_names, export_statement, row_maker

BATCH_ROWS = 1000  # rows fetched per round trip and written per chunk
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


@dataclass(frozen=True)
class Chunk:
    """Some encoded rows (or the CSV header, with rows=0)."""

    data: bytes
    rows: int


@dataclass
class ExportRun:
    """Who asked for an export (a user, or the CLI: no user) and how far it got."""

    organization_id: uuid.UUID
    user_id: uuid.UUID | None
    via: str
    rows: int = 0
    completed: bool = False


def columns_of(spec: ExportSpec) -> list[str]:
    """The export's column names."""
    return column_names(spec.definition, items=spec.items, finer_time=spec.scope.finer_time)


async def export_chunks(engine: AsyncEngine, spec: ExportSpec) -> AsyncGenerator[Chunk]:
    """The export's bytes, a batch of rows at a time, read through a server-side cursor."""
    names = columns_of(spec)
    encode = _csv_encoder() if spec.format == "csv" else _jsonl_encoder(names)
    if spec.format == "csv":
        yield Chunk(encode([names]), 0)
    make = row_maker(spec)
    statement = export_statement(spec).execution_options(yield_per=BATCH_ROWS)
    async with engine.connect() as connection:
        result = await connection.stream(statement)
        try:
            async for batch in result.partitions(BATCH_ROWS):
                yield Chunk(encode([make(row) for row in batch]), len(batch))
        finally:
            await result.close()


async def audited_export(
    engine: AsyncEngine, spec: ExportSpec, run: ExportRun
) -> AsyncGenerator[Chunk]:
    """`export_chunks`, then an audit entry with the rows that went out, however it ended."""
    try:
        async with aclosing(export_chunks(engine, spec)) as chunks:
            async for chunk in chunks:
                # Counted as handed over: the server sends it (or the CLI writes it) at once.
                run.rows += chunk.rows
                yield chunk
        run.completed = True
    finally:
        # Shielded: a cancelled (disconnected) request must still leave its audit entry.
        with anyio.CancelScope(shield=True):
            await _record_export(engine, spec, run)


async def count_rows(engine: AsyncEngine, spec: ExportSpec) -> int:
    """How many rows an export will have (the CLI's progress bar)."""
    rows = export_statement(spec).order_by(None).subquery()
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(rows))).scalar_one())


async def _record_export(engine: AsyncEngine, spec: ExportSpec, run: ExportRun) -> None:
    """The audit entry, in its own short transaction (the request's one is long gone)."""
    details = {
        **spec.filters(),
        "rows": run.rows,
        "completed": run.completed,
        "via": run.via,
    }
    async with AsyncSession(engine) as session, session.begin():
        await record(
            session,
            "research.export",
            organization_id=run.organization_id,
            actor_user_id=run.user_id,
            target=spec.definition.key,
            details=details,
        )


def _csv_encoder() -> Callable[[Iterable[list[Any]]], bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def encode(rows: Iterable[list[Any]]) -> bytes:
        writer.writerows(rows)
        data = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        return data

    return encode


def _jsonl_encoder(names: list[str]) -> Callable[[Iterable[list[Any]]], bytes]:
    def encode(rows: Iterable[list[Any]]) -> bytes:
        lines = [json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) for row in rows]
        return ("\n".join(lines) + "\n").encode() if lines else b""

    return encode
