"""Streaming an export: a server-side cursor, CSV or JSON Lines chunks, and its audit entry.

One code path for the API and the CLI: both iterate `audited_export`. It reads through a
connection of its own (`app.research.readers`: read-only, never the write lock), so memory
stays flat, and closing it early (a client that disconnects) stops the query, closes the
cursor and the connection shielded from the cancellation, and still records how many rows
went out.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.service import record
from app.metrics import observe_export
from app.research.csvrows import LINE_END, csv_line_maker
from app.research.readers import ExportReaders
from app.research.service import (
    ExportSpec,
    column_names,
    export_rows_statement,
    export_statement,
    row_maker,
)

BATCH_ROWS = 2000  # rows fetched per round trip and written per chunk
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


async def export_chunks(readers: ExportReaders, spec: ExportSpec) -> AsyncGenerator[Chunk]:
    """The export's bytes, a batch of rows at a time, read through a server-side cursor.

    The next batch is asked for before this one is encoded, so the database makes it while
    Python encodes (on two cores, the two overlap instead of adding up)."""
    names = columns_of(spec)
    encode: Callable[[Iterable[Any]], bytes]
    if spec.format == "csv":
        yield Chunk(_csv_encoder()([names]), 0)
        encode = _csv_lines(csv_line_maker(spec))
    else:
        encode = _jsonl_encoder(names, row_maker(spec))
    async with readers.reading() as connection:
        statement = export_statement(spec, connection.dialect.name)
        result = await connection.stream(statement.execution_options(yield_per=BATCH_ROWS))
        batches = result.partitions(BATCH_ROWS)
        pending: asyncio.Future[Any] | None = None
        try:
            pending = asyncio.ensure_future(anext(batches, None))
            # Shielded: cancelling this task (a disconnect) never interrupts a fetch mid-reply.
            while (batch := await asyncio.shield(pending)) is not None:
                pending = asyncio.ensure_future(anext(batches, None))
                await asyncio.sleep(0)  # let the fetch send its request before encoding
                yield Chunk(encode(batch), len(batch))
            pending = None
        finally:
            # A disconnect cancels the task while it awaits a batch or a send; unshielded,
            # this would be cancelled as well and leave the cursor open. A fetch in flight
            # is finished first: the connection serves one statement at a time.
            with anyio.CancelScope(shield=True):
                if pending is not None:
                    await asyncio.wait([pending])
                    if not pending.cancelled():
                        pending.exception()  # retrieved: the close below is what matters
                await batches.aclose()
                await result.close()


async def audited_export(
    readers: ExportReaders, engine: AsyncEngine, spec: ExportSpec, run: ExportRun
) -> AsyncGenerator[Chunk]:
    """`export_chunks`, then an audit entry with the rows that went out, however it ended.

    The rows are read through `readers`; the audit entry is written through `engine`.
    """
    started = time.perf_counter()
    try:
        async with aclosing(export_chunks(readers, spec)) as chunks:
            async for chunk in chunks:
                # Counted as handed over: the server sends it (or the CLI writes it) at once.
                run.rows += chunk.rows
                yield chunk
        run.completed = True
    finally:
        # Shielded: a cancelled (disconnected) request must still leave its audit entry.
        observe_export(spec.format, run.rows, run.completed, time.perf_counter() - started)
        with anyio.CancelScope(shield=True):
            await _record_export(engine, spec, run)


async def count_rows(readers: ExportReaders, spec: ExportSpec) -> int:
    """How many rows an export will have (the CLI's progress bar): the export's rows without
    their columns (no score read, no sequence, no sort)."""
    rows = export_rows_statement(spec).subquery()
    async with readers.reading() as connection:
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


def _csv_lines(line: Callable[[Any], str]) -> Callable[[Iterable[Any]], bytes]:
    def encode(rows: Iterable[Any]) -> bytes:
        lines = list(map(line, rows))
        return (LINE_END.join(lines) + LINE_END).encode() if lines else b""

    return encode


def _jsonl_encoder(
    names: list[str], make: Callable[[Any], list[Any]]
) -> Callable[[Iterable[Any]], bytes]:
    # What json.dumps(…, ensure_ascii=False) makes, without a new encoder for every row.
    dumps = json.JSONEncoder(ensure_ascii=False).encode

    def encode(rows: Iterable[Any]) -> bytes:
        lines = [dumps(dict(zip(names, make(row), strict=True))) for row in rows]
        return ("\n".join(lines) + "\n").encode() if lines else b""

    return encode
