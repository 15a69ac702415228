"""Dependencies of the questionnaire routes: the registry, the wanted language, a lookup.

All `async def` although none awaits: FastAPI runs a plain `def` dependency in a thread,
and those hand-offs cost more than the work (seen in `make bench`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from app.errors import NotFound
from app.i18n import parse_accept_language
from app.questionnaires.model import LOCALE, SEMVER, SLUG, Definition
from app.questionnaires.registry import Registry


async def get_registry(request: Request) -> Registry:
    """The definitions loaded at start-up."""
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(get_registry)]


LangQuery = Annotated[
    str | None,
    Query(pattern=LOCALE, description="Language of the texts; wins over Accept-Language."),
]
QuestionnaireIdPath = Annotated[str, Path(pattern=SLUG, examples=["window-of-tolerance"])]
VersionQuery = Annotated[
    str | None, Query(pattern=SEMVER, description="A published version; latest if absent.")
]


def locales_wanted(request: Request, lang: str | None) -> list[str]:
    """The languages the client wants, most wanted first: `?lang=`, then Accept-Language."""
    # Read from the request, not declared as a Header parameter: each declared parameter
    # costs a validation step on every request, and this one is documented by HTTP itself.
    return ([lang] if lang else []) + parse_accept_language(request.headers.get("accept-language"))


async def wanted_locales(request: Request, lang: LangQuery = None) -> list[str]:
    """The languages the client wants (a dependency)."""
    return locales_wanted(request, lang)


WantedLocales = Annotated[list[str], Depends(wanted_locales)]


def find_questionnaire(
    registry: Registry, questionnaire_id: str, version: str | None
) -> Definition:
    """The named definition, or 404."""
    try:
        return registry.get(questionnaire_id, version)
    except LookupError as error:
        raise NotFound(str(error).strip("'\"")) from error


async def questionnaire_from_path(
    registry: RegistryDep, questionnaire_id: QuestionnaireIdPath, version: VersionQuery = None
) -> Definition:
    """The definition named in the path (and ?version=), or 404."""
    return find_questionnaire(registry, questionnaire_id, version)


QuestionnaireFromPath = Annotated[Definition, Depends(questionnaire_from_path)]
