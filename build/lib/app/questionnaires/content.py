"""Content shared by every questionnaire: the concepts and the support resources.

Pure pydantic models of `concepts.yaml` and `support.yaml` (beside this file). Support
resources are a default; an operator can point `ATTUNE_SUPPORT_FILE` at their own.
"""

from __future__ import annotations

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
    """A place to find help: a line to call, a site to visit."""

    name: str
    description: str
    phone: str | None = None
    url: str | None = None


class LocaleSupport(Frozen):
    """What a result always shows in one language: the notice and where to find support."""

    notice: str = Field(description="This is a self-check, not a diagnosis.")
    heading: str
    urgent: str = Field(description="Shown first when a flag fires.")
    resources: list[SupportResource] = Field(min_length=1)


class Support(Frozen):
    """Support content per locale; `en` is required as the fallback."""

    locales: dict[str, LocaleSupport]

    @model_validator(mode="after")
    def _has_fallback(self) -> Support:
        if "en" not in self.locales:
            raise ValueError("support content needs an 'en' entry as the fallback")
        return self

    def for_locale(self, locale: str) -> LocaleSupport:
        """The content for a locale, or English when there is none."""
        return self.locales.get(locale) or self.locales["en"]
