"""Render the feedback a person reads from a score result, in one locale.

Order (CONTENT.md §4): the flags that fired, then the overall profile, then one message per
scale in the definition's order (a kind request for the missing answers when a scale could not
be scored). The non-diagnostic notice and support resources are always present; support comes
first when a flag fired. Pure: no I/O, no state.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.questionnaires.content import Concepts, Support, SupportResource
from app.questionnaires.model import Definition, FeedbackText, Rule, Scale
from app.scoring.result import ScaleScore, ScoreResult

#: Shown in place of band feedback when a scale has too few answers; `en` is the fallback.
MISSING_TEMPLATES: Mapping[str, str] = MappingProxyType(
    {
        "en": (
            "Some answers for {scale} are missing, so this part is not scored. "
            "Answering the remaining questions gives a fuller picture."
        ),
        "es": (
            "Faltan algunas respuestas de {scale}, así que esta parte no tiene puntuación. "
            "Responder a las preguntas que quedan da una imagen más completa."
        ),
    }
)

# A support resource is already a frozen, closed model of exactly what a client shows.
SupportResourceOut = SupportResource


class FeedbackModel(BaseModel):
    """Base of the feedback models: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class FeedbackMessage(FeedbackModel):
    """One message: what the answers suggest, the concept behind it, why it matters, what helps.

    `title` is what the message is about (the scale's title, or the questionnaire's for a
    profile or flag); `label` is the band, profile or flag label.
    """

    kind: Literal["profile", "scale", "flag", "missing"]
    target: str
    title: str
    label: str | None
    concept: str
    concept_title: str
    text: str
    why: str | None
    helps: str | None


class SupportSection(FeedbackModel):
    """Where to find support; `urgent` is set only when a flag fired."""

    heading: str
    urgent: str | None
    resources: list[SupportResource]


class Feedback(FeedbackModel):
    """Everything a person reads about one result, in one locale."""

    locale: str
    notice: str
    support_first: bool
    support: SupportSection
    messages: list[FeedbackMessage]


def choose_locale(definition: Definition, locale: str) -> str:
    """The requested locale if the definition offers it (or its language), else the default."""
    if locale in definition.locales:
        return locale
    # A phone set to es-MX should get the Spanish text rather than the default language.
    language = locale.split("-", 1)[0]
    return language if language in definition.locales else definition.default_locale


def render_feedback(
    definition: Definition,
    result: ScoreResult,
    locale: str,
    concepts: Concepts,
    support: Support,
) -> Feedback:
    """The feedback for a result in the requested locale (or the definition's default)."""
    scored_with = f"{result.questionnaire_id}@{result.questionnaire_version}"
    if scored_with != definition.key:
        raise ValueError(f"a result of {scored_with} cannot be rendered with {definition.key}")
    chosen = choose_locale(definition, locale)
    messages = _messages(_Writer(definition, concepts, chosen), result)
    flagged = bool(result.flags)
    content = support.for_locale(chosen)
    return Feedback(
        locale=chosen,
        notice=content.notice,
        support_first=flagged,
        support=SupportSection(
            heading=content.heading,
            urgent=content.urgent if flagged else None,
            resources=list(content.resources),
        ),
        messages=messages,
    )


def _messages(writer: _Writer, result: ScoreResult) -> list[FeedbackMessage]:
    definition = writer.definition
    found = [writer.rule("flag", definition.flags, flag) for flag in result.flags]
    if result.profile is not None:
        found.append(writer.rule("profile", definition.profiles, result.profile))
    found += [writer.scale(s, result.scale(s.id)) for s in definition.scales]
    return [m for m in found if m is not None]


class _Writer:
    """Builds messages in one locale from a definition's feedback texts and the concepts."""

    def __init__(self, definition: Definition, concepts: Concepts, locale: str) -> None:
        self.definition = definition
        self.concepts = concepts
        self.locale = locale

    def rule(
        self, kind: Literal["profile", "flag"], rules: list[Rule], rule_id: str
    ) -> FeedbackMessage | None:
        """The message of a fired profile or flag, if the rule has feedback."""
        rule = next(r for r in rules if r.id == rule_id)
        if rule.feedback is None:
            return None
        title = _pick(self.definition.title, self.locale)
        label = _pick(rule.label, self.locale)
        return self._message(kind, rule.id, title, label, self.definition.feedback[rule.feedback])

    def scale(self, scale: Scale, scored: ScaleScore) -> FeedbackMessage | None:
        """A scored scale's band message, or the request for missing answers."""
        title = _pick(scale.title, self.locale)
        if scored.status == "insufficient":
            return self._missing(scale, title)
        band = next((b for b in scale.bands if b.id == scored.band), None)
        if band is None or band.feedback is None:
            return None
        label = _pick(band.label, self.locale)
        return self._message(
            "scale", scale.id, title, label, self.definition.feedback[band.feedback]
        )

    def _message(
        self,
        kind: Literal["profile", "scale", "flag"],
        target: str,
        title: str,
        label: str,
        text: FeedbackText,
    ) -> FeedbackMessage:
        concept = self.concepts.get(text.concept)
        why = text.why if text.why is not None else concept.why_it_matters
        return FeedbackMessage(
            kind=kind,
            target=target,
            title=title,
            label=label,
            concept=concept.id,
            concept_title=_pick(concept.title, self.locale),
            text=_pick(text.text, self.locale),
            why=_pick(why, self.locale),
            helps=None if text.helps is None else _pick(text.helps, self.locale),
        )

    def _missing(self, scale: Scale, title: str) -> FeedbackMessage:
        # Nothing is said about an unscored scale beyond asking for the answers (CONTENT.md §3).
        concept = self.concepts.get(scale.concept)
        template = _pick(MISSING_TEMPLATES, self.locale)
        return FeedbackMessage(
            kind="missing",
            target=scale.id,
            title=title,
            label=None,
            concept=concept.id,
            concept_title=_pick(concept.title, self.locale),
            text=template.format(scale=title),
            why=None,
            helps=None,
        )


def _pick(text: Mapping[str, str], locale: str) -> str:
    """A text in the locale, else its language, else English, else whatever language it has."""
    return (
        text.get(locale)
        or text.get(locale.split("-", 1)[0])
        or text.get("en")
        or next(iter(text.values()))
    )
