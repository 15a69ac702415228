"""The API's view of a definition: texts in one language, scoring rules in full."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from app.questionnaires.content import Concept
from app.questionnaires.model import Condition, Definition, Rule, ScaleMethod

#: Named, so generated clients get a `Recode` type instead of an `ItemViewRecodeType0` class.
Recode = TypeAliasType("Recode", dict[str, int])


class View(BaseModel):
    """Base of the read models."""

    model_config = ConfigDict(frozen=True)


class OptionView(View):
    """An answer option: send `value`, show `label`."""

    value: int
    label: str
    not_applicable: bool = Field(
        False, description="A valid answer that scores nothing: the item counts as missing."
    )


class ItemView(View):
    """A question and how its answer is scored."""

    id: str
    text: str
    response_scale: str
    options: list[OptionView]
    concept: str
    reverse: bool = Field(description="Scored as (min + max) - answer.")
    recode: Recode | None = Field(description="Answer value -> item score, if recoded.")


class BandView(View):
    """A closed score range and its label."""

    id: str
    min: float
    max: float
    label: str


class ReliabilityView(View):
    """Published figures used for the reliable change index."""

    sd: float
    r: float
    source: str


class ScaleView(View):
    """A subscale and its scoring rule."""

    id: str
    title: str
    concept: str
    items: list[str]
    method: ScaleMethod
    min_answered: float = Field(description="Fraction of items needed for a score.")
    max_missing: int | None = Field(
        description="If set, instead of min_answered: at most this many items may be missing."
    )
    prorate: bool = Field(description="Missing answers scale a sum up to the full item count.")
    precision: int = Field(description="Decimals the score is rounded to, half up.")
    min: float
    max: float
    bands: list[BandView]
    reliability: ReliabilityView | None


class RuleView(View):
    """A profile or flag with its declarative condition."""

    id: str
    label: str
    when: Condition = Field(
        description="all/any/not of {scale, band} / {scale, op, value} / {insufficient} / "
        "{always}: a tree of the condition types, told apart by their keys."
    )


class TranslationView(View):
    """Whether the text in this language is a validated version of the instrument."""

    validated: bool
    note: str | None


class QuestionnaireSummary(View):
    """One questionnaire in a list (its latest version)."""

    id: str
    version: str
    versions: list[str]
    title: str
    description: str
    locale: str
    locales: list[str]
    validated: bool
    item_count: int


class QuestionnaireRead(View):
    """A whole questionnaire in one language, with its scoring rules: public and auditable."""

    id: str
    version: str
    definition_hash: str = Field(description="SHA-256 of the definition; results record it.")
    locale: str = Field(description="The language of the texts (also in Content-Language).")
    locales: list[str]
    translation: TranslationView | None
    title: str
    description: str
    instructions: str
    validated: bool
    license: str
    citation: str | None
    items: list[ItemView]
    scales: list[ScaleView]
    profiles: list[RuleView]
    flags: list[RuleView]


class ConceptRead(View):
    """A concept from the article, in plain words."""

    id: str
    title: str
    summary: str
    why_it_matters: str
    source: str


def localized(text: dict[str, str], locale: str, fallback: str) -> str:
    """The text in `locale`, or in the fallback language."""
    return text.get(locale) or text[fallback]


def summarize(definition: Definition, versions: list[str], locale: str) -> QuestionnaireSummary:
    """The list entry of a definition."""
    chosen = locale if locale in definition.locales else definition.default_locale
    return QuestionnaireSummary(
        id=definition.id,
        version=definition.version,
        versions=versions,
        title=localized(definition.title, chosen, definition.default_locale),
        description=localized(definition.description, chosen, definition.default_locale),
        locale=chosen,
        locales=definition.locales,
        validated=definition.validated,
        item_count=len(definition.items),
    )


def present(definition: Definition, definition_hash: str, locale: str) -> QuestionnaireRead:
    """The full view of a definition in one locale (which must be one it offers)."""

    def text(value: dict[str, str]) -> str:
        return localized(value, locale, definition.default_locale)

    def rule(r: Rule) -> RuleView:
        return RuleView(id=r.id, label=text(r.label), when=r.when)

    translation = definition.translations.get(locale)
    return QuestionnaireRead(
        id=definition.id,
        version=definition.version,
        definition_hash=definition_hash,
        locale=locale,
        locales=definition.locales,
        translation=TranslationView(
            validated=translation.validated,
            note=text(translation.note) if translation.note else None,
        )
        if translation
        else None,
        title=text(definition.title),
        description=text(definition.description),
        instructions=text(definition.instructions),
        validated=definition.validated,
        license=definition.license,
        citation=definition.citation,
        items=[
            ItemView(
                id=item.id,
                text=text(item.text),
                response_scale=item.scale,
                options=[
                    OptionView(value=o.value, label=text(o.label), not_applicable=o.not_applicable)
                    for o in definition.response_scales[item.scale].options
                ],
                concept=item.concept,
                reverse=item.reverse,
                recode={str(k): v for k, v in item.recode.items()} if item.recode else None,
            )
            for item in definition.items
        ],
        scales=[
            ScaleView(
                id=s.id,
                title=text(s.title),
                concept=s.concept,
                items=s.items,
                method=s.method,
                min_answered=s.min_answered,
                max_missing=s.max_missing,
                prorate=s.prorate,
                precision=s.precision,
                min=definition.score_range(s)[0],
                max=definition.score_range(s)[1],
                bands=[
                    BandView(id=b.id, min=b.min, max=b.max, label=text(b.label)) for b in s.bands
                ],
                reliability=ReliabilityView(**s.reliability.model_dump())
                if s.reliability
                else None,
            )
            for s in definition.scales
        ],
        profiles=[rule(r) for r in definition.profiles],
        flags=[rule(r) for r in definition.flags],
    )


def present_concept(concept: Concept, locale: str) -> ConceptRead:
    """A concept in one language (English when it has none in that one)."""
    return ConceptRead(
        id=concept.id,
        title=localized(concept.title, locale, "en"),
        summary=localized(concept.summary, locale, "en"),
        why_it_matters=localized(concept.why_it_matters, locale, "en"),
        source=concept.source,
    )
