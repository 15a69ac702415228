"""Keeping the definitions table in step with the registry, and finding a stored definition."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.questionnaires.model import Definition
from app.questionnaires.models import StoredDefinition
from app.questionnaires.registry import Registry


class DefinitionChanged(Exception):
    """A published id@version is stored with other content: definitions are immutable."""


class DefinitionRef(Protocol):
    """Anything that names the definition it was made with (an assessment, a result)."""

    questionnaire_id: str
    questionnaire_version: str
    definition_hash: str


async def record_definitions(session: AsyncSession, registry: Registry) -> list[str]:
    """Store every loaded definition not stored yet; return the id@version of those added."""
    stored = {
        (row.questionnaire_id, row.version): row.hash
        for row in (await session.execute(select(StoredDefinition))).scalars()
    }
    added: list[str] = []
    for definition in registry.all():
        digest = registry.hash(definition)
        known = stored.get((definition.id, definition.version))
        if known == digest:
            continue
        if known is not None:
            raise DefinitionChanged(
                f"{definition.key} is stored with hash {known[:12]}… but the file now hashes "
                f"to {digest[:12]}…: a published definition cannot change; give it a new version."
            )
        session.add(
            StoredDefinition(
                hash=digest,
                questionnaire_id=definition.id,
                version=definition.version,
                content=definition.model_dump(mode="json", by_alias=True),
            )
        )
        added.append(definition.key)
    await session.flush()
    return added


async def definition_of(
    session: AsyncSession, registry: Registry, ref: DefinitionRef
) -> Definition:
    """The exact definition something was made with: from the registry, else from the table.

    A definition file may be retired from the code; the table keeps every version ever used,
    so old results can still be shown and recomputed.
    """
    try:
        definition = registry.get(ref.questionnaire_id, ref.questionnaire_version)
    except LookupError:
        definition = None
    if definition is not None and registry.hash(definition) == ref.definition_hash:
        return definition
    stored = _stored.get(ref.definition_hash)
    if stored is not None:
        return stored
    row = await session.get(StoredDefinition, ref.definition_hash)
    if row is None:
        raise LookupError(f"definition {ref.definition_hash} is neither loaded nor stored")
    stored = Definition.model_validate(row.content)
    if len(_stored) >= STORED_CACHE_SIZE:
        del _stored[next(iter(_stored))]  # the oldest first: dicts keep insertion order
    _stored[ref.definition_hash] = stored
    return stored


#: Definitions read back from the table, by hash. The hash names the content, so an entry
#: never goes stale; one object per hash also lets scoring reuse its compiled plan (reading
#: and validating a definition again cost about 0.5 ms on every rescore of an old result).
_stored: dict[str, Definition] = {}
STORED_CACHE_SIZE = 64
