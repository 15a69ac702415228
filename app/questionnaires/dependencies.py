"""Dependencies of the questionnaire routes: the registry, the wanted language, a lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from app.errors import NotFound
from app.i18n import parse_accept_language
from app.questionnaires.model import LOCALE, SEMVER, SLUG, Definition
from app.questionnaires.registry import Registry


def get_registry(request: Request) -> Registry:
    """The definitions loaded at start-up."""
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(get_registry)]


def wanted_locales(
    lang: Annotated[
        str | None,
        Query(pattern=LOCALE, description="Language of the texts; wins over Accept-Language."),
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> list[str]:
    """The languages the client wants, most wanted first."""
    return ([lang] if lang else []) + parse_accept_language(accept_language)


WantedLocales = Annotated[list[str], Depends(wanted_locales)]


def questionnaire_from_path(
    registry: RegistryDep,
    questionnaire_id: Annotated[str, Path(pattern=SLUG, examples=["window-of-tolerance"])],
    version: Annotated[
        str | None, Query(pattern=SEMVER, description="A published version; latest if absent.")
    ] = None,
) -> Definition:
    """The definition named in the path (and ?version=), or 404."""
    try:
        return registry.get(questionnaire_id, version)
    except LookupError as error:
        raise NotFound(str(error).strip("'\"")) from error


QuestionnaireFromPath = Annotated[Definition, Depends(questionnaire_from_path)]


def rendered_views(request: Request) -> dict[tuple[str, str], bytes]:
    """Questionnaire JSON by (definition hash, locale): definitions never change once loaded."""
    views: dict[tuple[str, str], bytes] = request.app.state.rendered_views
    return views


RenderedViews = Annotated[dict[tuple[str, str], bytes], Depends(rendered_views)]
