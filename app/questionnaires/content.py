"""Content shared by every questionnaire: the concepts and the support resources.

Pure pydantic models of `concepts.yaml` and `support.yaml` (beside this file). Support
lines are a default; an operator can point `ATTUNE_SUPPORT_FILE` at their own, and an
organization's admin can add its own lines through the API.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, model_validator

from app.questionnaires.model import CONCEPT_IDS, ConceptId, Frozen, LocalizedText


class Concept(Frozen):
    """A concept from the article, explained for a lay reader."""

    id: ConceptId
    title: LocalizedText
    summary: LocalizedText = Field(description="One or two plain sentences.")
    why_it_matters: LocalizedText
    source: str = Field(description="Where in the article (or which study) it comes from.")


class Concepts(Frozen):
    """Every concept, each exactly once."""

    concepts: list[Concept]

    @model_validator(mode="after")
    def _complete(self) -> Concepts:
        ids = [c.id for c in self.concepts]
        missing = sorted(set(CONCEPT_IDS) - set(ids))
        if missing or len(ids) != len(set(ids)):
            raise ValueError(f"every concept exactly once; missing: {missing}")
        return self

    def get(self, concept_id: str) -> Concept:
        """The concept with this id (KeyError if absent)."""
        for concept in self.concepts:
            if concept.id == concept_id:
                return concept
        raise KeyError(concept_id)


class SupportResource(Frozen):
    """A place to find help, as a reader is shown it: a line to call, a site to visit."""

    name: str
    description: str
    phone: str | None = None
    url: str | None = None
    #: the country the number works in, named in the reader's language.
    country: str | None = None
    #: where the number was checked, and when (none for an organization's own lines).
    source: str | None = None
    checked: date | None = None


class SupportLine(Frozen):
    """A shipped support line: every number carries the page it was checked on, and when."""

    name: str
    description: LocalizedText
    phone: str | None = None
    url: str | None = None
    source: str = Field(pattern=r"^https?://", description="The page the number was checked on.")
    checked: date = Field(description="The day it was last checked there.")


class RegionSupport(Frozen):
    """The lines of one country (ISO 3166 code): its crisis line, its emergency number."""

    name: LocalizedText
    crisis: SupportLine = Field(description="The line the one-line crisis pointer names.")
    #: left out where we could not check the number; the pointer then says "your local
    #: emergency number".
    emergency: SupportLine | None = None
    lines: list[SupportLine] = Field(default_factory=list)


class SupportTexts(Frozen):
    """What every result shows in one language besides the lines themselves."""

    notice: str = Field(description="This is a self-check, not a diagnosis.")
    heading: str
    urgent: str = Field(description="Shown first when a flag fires.")
    pointer: str = Field(description="The one-line crisis pointer: {line}, {emergency}.")
    local_emergency: str = Field(description="Stands for {emergency} when no number is known.")
    pointer_general: str = Field(description="The pointer when no one country is known.")


class Support(Frozen):
    """Support content: texts per language, lines per country, and what to show when neither
    the reader's region nor their organization's is known (see `app.questionnaires.support`)."""

    texts: dict[str, SupportTexts]
    regions: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], RegionSupport]
    #: language -> the countries listed (each number naming its country) when no region is known.
    defaults: dict[str, list[str]] = Field(default_factory=dict)
    #: directories that cover every country, shown last on every result.
    international: list[SupportLine] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Support:
        if "en" not in self.texts:
            raise ValueError("support content needs 'en' texts as the fallback")
        unknown = {c for codes in self.defaults.values() for c in codes} - set(self.regions)
        if unknown:
            raise ValueError(f"defaults name unknown regions: {sorted(unknown)}")
        return self
