"""GET /v1/questionnaires, /v1/questionnaires/{id} and /v1/concepts."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response

from app.contract import header_parameters, sent
from app.edge import replayable
from app.i18n import negotiate_locale
from app.problems import problems
from app.questionnaires.dependencies import (
    LangQuery,
    QuestionnaireIdPath,
    RegistryDep,
    VersionQuery,
    WantedLocales,
    find_offered_questionnaire,
    locales_wanted,
)
from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.questionnaires.schemas import (
    ConceptRead,
    QuestionnaireRead,
    QuestionnaireSummary,
    present,
    present_concept,
    summarize,
)

router = APIRouter(prefix="/v1", tags=["questionnaires"])

CONCEPT_LOCALES = ["en", "es"]


@router.get("/questionnaires", response_model=list[QuestionnaireSummary])
async def list_questionnaires(
    registry: RegistryDep, wanted: WantedLocales
) -> list[QuestionnaireSummary]:
    """List every questionnaire offered here at its latest version, in the wanted language.

    A questionnaire whose licence needs permission is left out until the operator enables it
    (`ATTUNE_QUESTIONNAIRES_ENABLED`).
    """
    return [
        summarize(
            d,
            registry.versions(d.id),
            negotiate_locale(wanted, d.locales, d.default_locale),
        )
        for d in registry.latest_offered()
    ]


@router.get(
    "/questionnaires/{questionnaire_id}",
    response_model=QuestionnaireRead,
    responses=problems(404, 422)
    | sent(200, "ETag", "Content-Language")
    | sent(304, "ETag", description="Not modified (If-None-Match matched the ETag)."),
    openapi_extra=header_parameters("If-None-Match"),
)
async def get_questionnaire(
    request: Request,
    questionnaire_id: QuestionnaireIdPath,
    version: VersionQuery = None,
    lang: LangQuery = None,
) -> Response:
    """Get a questionnaire with its items and its full scoring rules, in one language.

    The language comes from `?lang=`, then `Accept-Language`, then the questionnaire's
    default; `Content-Language` says which was used. Send the `ETag` back in `If-None-Match`
    to get 304 when nothing changed.
    """
    # Parameters are declared here rather than through the lookup dependencies the other
    # routes use: this is the API's hottest read, and each dependency level costs FastAPI
    # more than the lookup itself (seen in `make bench`).
    definition = find_offered_questionnaire(request.app.state.registry, questionnaire_id, version)
    wanted = locales_wanted(request, lang)
    locale = negotiate_locale(wanted, definition.locales, definition.default_locale)
    etag, body = _rendered(request, definition, locale)
    headers = {
        "ETag": etag,
        "Content-Language": locale,
        "Cache-Control": "public, max-age=300",
        "Vary": "Accept-Language",
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    # The answer depends on the path, the query and Accept-Language only, and never changes
    # while the process runs: the edge sends it again for the same request (app/edge.py).
    replayable(request.scope, etag)
    return Response(body, media_type="application/json", headers=headers)


def _rendered(request: Request, definition: Definition, locale: str) -> tuple[str, bytes]:
    """The ETag and JSON of a definition in a locale, made once: definitions never change."""
    views: dict[tuple[str, str], tuple[str, bytes]] = request.app.state.rendered_views
    key = (definition.key, locale)
    if key not in views:
        registry: Registry = request.app.state.registry
        definition_hash = registry.hash(definition)
        tag = hashlib.sha256(f"{definition_hash}:{locale}".encode()).hexdigest()[:32]
        body = present(definition, definition_hash, locale).model_dump_json().encode()
        views[key] = (f'"{tag}"', body)
    return views[key]


@router.get("/concepts", response_model=list[ConceptRead])
async def list_concepts(registry: RegistryDep, wanted: WantedLocales) -> list[ConceptRead]:
    """List the concepts from the article that items, scales and feedback are tied to."""
    locale = negotiate_locale(wanted, CONCEPT_LOCALES, "en")
    return [present_concept(c, locale) for c in registry.concepts.concepts]
