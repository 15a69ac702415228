"""Small inline questionnaire definitions for the scoring tests.

Each builder returns the plain dict a YAML file would hold, so a test states only what it is
about and `make_definition` validates the whole through the real model.
"""

from __future__ import annotations

from typing import Any

from app.questionnaires.content import Concepts, Support
from app.questionnaires.model import CONCEPT_IDS, Definition

Data = dict[str, Any]


def text(value: str) -> dict[str, str]:
    """A text in both test locales; the Spanish one is marked so tests can tell them apart."""
    return {"en": value, "es": f"{value} (es)"}


def options(*values: int) -> Data:
    """A response scale with these option values."""
    return {"options": [{"value": v, "label": text(f"option {v}")} for v in values]}


def item(item_id: str, *, scale: str = "freq", reverse: bool = False, recode: Any = None) -> Data:
    """An item on a response scale, optionally reverse-keyed or recoded."""
    data: Data = {
        "id": item_id,
        "text": text(f"{item_id}?"),
        "scale": scale,
        "concept": "hyperarousal",
        "reverse": reverse,
    }
    if recode is not None:
        data["recode"] = recode
    return data


def band(band_id: str, low: float, high: float, feedback: str | None = None) -> Data:
    """A closed band ``[low, high]``."""
    return {
        "id": band_id,
        "min": low,
        "max": high,
        "label": text(band_id.title()),
        "feedback": feedback,
    }


def scale(scale_id: str, items: list[str], **extra: Any) -> Data:
    """A scale over items; `extra` sets method, min_answered, prorate, precision, bands."""
    return {
        "id": scale_id,
        "title": text(scale_id.title()),
        "concept": "hyperarousal",
        "items": items,
        **extra,
    }


def rule(rule_id: str, when: Data, feedback: str | None = None) -> Data:
    """A profile or flag."""
    return {"id": rule_id, "label": text(rule_id.title()), "when": when, "feedback": feedback}


def feedback_text(concept: str = "hyperarousal", *, why: bool = True, helps: bool = True) -> Data:
    """A feedback text tied to a concept, with or without its own `why` and `helps`."""
    data: Data = {"concept": concept, "text": text(f"about {concept}")}
    if why:
        data["why"] = text(f"why {concept}")
    if helps:
        data["helps"] = text(f"helps {concept}")
    return data


def definition_data(
    *, items: list[Data], scales: list[Data], response_scales: Data | None = None, **extra: Any
) -> Data:
    """A whole definition's data with harmless defaults for what a test does not care about."""
    return {
        "id": "test-check",
        "version": "1.0.0",
        "title": text("Test check"),
        "description": text("A definition for tests."),
        "instructions": text("Answer."),
        "locales": ["en", "es"],
        "validated": False,
        "license": "test only",
        "response_scales": response_scales or {"freq": options(0, 1, 2, 3, 4)},
        "items": items,
        "scales": scales,
        **extra,
    }


def make_definition(**kwargs: Any) -> Definition:
    """A validated definition (see `definition_data` for the arguments)."""
    return Definition.model_validate(definition_data(**kwargs))


def four_items(*, reverse: tuple[str, ...] = ()) -> list[Data]:
    """Items a, b, c, d on the 0-4 scale."""
    return [item(i, reverse=i in reverse) for i in "abcd"]


def make_concepts() -> Concepts:
    """Every concept, with English and Spanish texts."""
    return Concepts.model_validate(
        {
            "concepts": [
                {
                    "id": c,
                    "title": text(f"{c} title"),
                    "summary": text(f"{c} summary"),
                    "why_it_matters": text(f"{c} matters"),
                    "source": "the article",
                }
                for c in CONCEPT_IDS
            ]
        }
    )


def make_support() -> Support:
    """Support content in English and Spanish: one country (XA) and a directory."""

    def one(lang: str) -> Data:
        return {
            "notice": f"{lang} notice",
            "heading": f"{lang} heading",
            "urgent": f"{lang} urgent",
            "pointer": f"{lang} call {{line}} or {{emergency}}",
            "pointer_general": f"{lang} call a line below",
            "local_emergency": f"{lang} local emergency",
        }

    def line(name: str, phone: str | None = None) -> Data:
        return {
            "name": name,
            "description": {"en": "call", "es": "llama"},
            "phone": phone,
            "source": "https://example.org/checked",
            "checked": "2026-12-01",
        }

    return Support.model_validate(
        {
            "texts": {"en": one("en"), "es": one("es")},
            "regions": {
                "XA": {
                    "name": {"en": "Xland", "es": "Xlandia"},
                    "crisis": line("en line", "555"),
                    "emergency": line("emergency", "112"),
                }
            },
            "defaults": {"en": ["XA"]},
            "international": [line("directory")],
        }
    )
