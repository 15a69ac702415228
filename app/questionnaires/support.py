"""Choosing the support lines a reader sees: by region first, then by language.

Pure: the caller passes what it knows (the wanted language tags, the organization's country
and own lines, the deployment's region) and gets back what to show. The order:

1. the region of the reader's language tag (``es-MX`` -> Mexico), else the organization's
   country, else the deployment's region (``ATTUNE_SUPPORT_REGION``);
2. that country's lines, if shipped; else the countries listed for the reader's language
   (``es`` -> Mexico, Argentina, Colombia, Chile, Spain, the US), each number naming its
   country; else none;
3. an international directory, always last.

An organization's own lines come first, whatever the region. Texts follow the reader's
language, not the questionnaire's: a Spanish reader of an English-only scale gets Spanish.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from app.questionnaires.content import (
    RegionSupport,
    Support,
    SupportLine,
    SupportResource,
    SupportTexts,
)
from app.questionnaires.model import Frozen


class OrganizationLine(Frozen):
    """A line an organization's admin added for its own clients."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=500)
    phone: str | None = Field(None, max_length=40)
    url: str | None = Field(None, max_length=500, pattern=r"^https?://")


class OrganizationSupport(Frozen):
    """What an organization set: its country and its own lines (both optional)."""

    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    lines: list[OrganizationLine] = Field(default_factory=list, max_length=10)


class SupportChoice(Frozen):
    """The support a reader sees: in which language, for which region, and the lines."""

    language: str
    region: str | None
    texts: SupportTexts
    pointer: str
    resources: list[SupportResource]


def region_of(tag: str) -> str | None:
    """The region subtag of a language tag: ``es-MX`` -> ``MX``; ``es``, ``es-419`` -> None."""
    parts = tag.replace("_", "-").split("-")
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            return part.upper()
    return None


def choose_support(
    support: Support,
    wanted: Sequence[str],
    organization: OrganizationSupport | None = None,
    default_region: str | None = None,
) -> SupportChoice:
    """The lines and texts for a reader (see the module docstring for the order)."""
    language = _language(support, wanted)
    texts = support.texts[language]
    region = next((r for r in map(region_of, wanted) if r), None)
    if region is None and organization is not None:
        region = organization.country
    region = region or default_region
    resources: list[SupportResource] = []
    if organization is not None:
        country = _country(support, organization.country, language)
        resources += [
            SupportResource(
                name=line.name,
                description=line.description,
                phone=line.phone,
                url=line.url,
                country=country,
            )
            for line in organization.lines
        ]
    shipped = support.regions.get(region) if region else None
    if shipped is not None:
        resources += _region_lines(shipped, language)
        pointer = texts.pointer.format(
            line=f"{shipped.crisis.phone} ({shipped.crisis.name})",
            emergency=shipped.emergency.phone if shipped.emergency else texts.local_emergency,
        )
    else:
        for code in support.defaults.get(language, []):
            resources += _region_lines(support.regions[code], language)
        pointer = texts.pointer_general
    resources += [_resource(line, language, None) for line in support.international]
    return SupportChoice(
        language=language,
        region=region if shipped is not None else None,
        texts=texts,
        pointer=pointer,
        resources=resources,
    )


def _language(support: Support, wanted: Sequence[str]) -> str:
    for tag in wanted:
        language = tag.split("-")[0].lower()
        if language in support.texts:
            return language
    return "en"


def _country(support: Support, code: str | None, language: str) -> str | None:
    region = support.regions.get(code) if code else None
    return _pick(region.name, language) if region else code


def _region_lines(region: RegionSupport, language: str) -> list[SupportResource]:
    country = _pick(region.name, language)
    lines = [region.crisis, *region.lines]
    if region.emergency is not None:
        lines.append(region.emergency)
    return [_resource(line, language, country) for line in lines]


def _resource(line: SupportLine, language: str, country: str | None) -> SupportResource:
    return SupportResource(
        name=line.name,
        description=_pick(line.description, language),
        phone=line.phone,
        url=line.url,
        country=country,
        source=line.source,
        checked=line.checked,
    )


def _pick(text: dict[str, str], language: str) -> str:
    return text.get(language) or text.get("en") or next(iter(text.values()))
