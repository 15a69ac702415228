"""Keyset pagination, newest first: how every list in the API pages.

A cursor is the (time, id) of the last row of a page, opaque to clients. Keyset rather than
offset: pages stay correct while rows are added, and deep pages cost no more than the first.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from app.errors import InvalidInput

SelectT = TypeVar("SelectT", bound=Select)  # type: ignore[type-arg]
RowT = TypeVar("RowT")


def encode_cursor(position: datetime, row_id: uuid.UUID) -> str:
    """An opaque cursor pointing just after the row at this position."""
    raw = json.dumps([position.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor points at, or 422 naming the parameter."""
    try:
        position, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(position), uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error) as error:
        raise InvalidInput(
            "The cursor is not one this API returned.",
            errors=[{"parameter": "cursor", "detail": "pass next_cursor from a previous page"}],
        ) from error


def newest_first(
    statement: SelectT,
    time_column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    *,
    limit: int,
    cursor: str | None,
) -> SelectT:
    """The statement ordered newest first, after the cursor, one row past the page size."""
    statement = statement.order_by(time_column.desc(), id_column.desc()).limit(limit + 1)
    if cursor is not None:
        statement = statement.where(tuple_(time_column, id_column) < tuple_(*decode_cursor(cursor)))
    return statement


def split_page(rows: list[RowT], limit: int) -> tuple[list[RowT], bool]:
    """The page, and whether there is a next one (the query fetched one row more)."""
    return rows[:limit], len(rows) > limit
