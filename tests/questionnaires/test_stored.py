"""A definition no longer shipped is read back from the table once, then reused by hash."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI

from app.questionnaires import service
from app.questionnaires.service import definition_of


class _NoDatabase:
    """A session that must not be used: the second read comes from the cache."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the database was asked again ({name})")


async def test_a_retired_definition_is_read_once_and_reused(app: FastAPI) -> None:
    registry = app.state.registry
    shipped = registry.get("window-of-tolerance", None)
    # As if the file of this version had been removed from the code: only the table has it.
    retired = SimpleNamespace(
        questionnaire_id=shipped.id,
        questionnaire_version="0.0.0-retired",
        definition_hash=registry.hash(shipped),
    )
    service._stored.clear()
    async with app.state.sessionmaker() as session:
        first = await definition_of(session, registry, retired)
    again = await definition_of(_NoDatabase(), registry, retired)  # type: ignore[arg-type]
    assert first is again
    assert first is not shipped
    assert first.model_dump() == shipped.model_dump()


async def test_an_unknown_hash_is_still_an_error(app: FastAPI) -> None:
    missing = SimpleNamespace(
        questionnaire_id="window-of-tolerance",
        questionnaire_version="9.9.9",
        definition_hash="0" * 64,
    )
    async with app.state.sessionmaker() as session:
        with pytest.raises(LookupError, match="neither loaded nor stored"):
            await definition_of(session, app.state.registry, missing)
