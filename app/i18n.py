"""Choosing the language of a response: ``?lang=`` first, then ``Accept-Language``."""

from __future__ import annotations

from collections.abc import Sequence


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, most wanted first (q=0 dropped)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate_locale(wanted: Sequence[str], offered: Sequence[str], default: str) -> str:
    """The first offered locale matching a wanted tag exactly or by language (es-MX -> es)."""
    for tag in wanted:
        if tag in offered:
            return tag
        language = tag.split("-")[0].lower()
        for locale in offered:
            if locale.split("-")[0].lower() == language:
                return locale
    return default if default in offered else offered[0]


#: The staff's chosen language (the console's switch sets it; the reset pages read it too).
LANGUAGE_COOKIE = "attune_lang"


def choose_locale(
    query: str | None,
    chosen: str | None,
    accept_language: str | None,
    offered: Sequence[str],
) -> str:
    """A staff page's language: ``?lang=``, then the chosen one, then Accept-Language.

    The first offered locale (English) when none of them names an offered language; an
    unknown ``?lang=`` or cookie value is ignored rather than refused.
    """
    for explicit in (query, chosen):
        if explicit is not None and explicit in offered:
            return explicit
    return negotiate_locale(parse_accept_language(accept_language), offered, offered[0])
