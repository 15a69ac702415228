"""GET /v1/questionnaires, /v1/questionnaires/{id} and /v1/concepts."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Response

from app.i18n import negotiate_locale
from app.problems import problems
from app.questionnaires.dependencies import (
    QuestionnaireFromPath,
    RegistryDep,
    RenderedViews,
    WantedLocales,
)
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
def list_questionnaires(registry: RegistryDep, wanted: WantedLocales) -> list[QuestionnaireSummary]:
    """List every questionnaire at its latest version, in the wanted language where offered."""
    return [
        summarize(
            d,
            registry.versions(d.id),
            negotiate_locale(wanted, d.locales, d.default_locale),
        )
        for d in registry.latest()
    ]


@router.get(
    "/questionnaires/{questionnaire_id}",
    response_model=QuestionnaireRead,
    responses=problems(404, 422, success={304: "Not modified (If-None-Match matched the ETag)."}),
)
def get_questionnaire(
    definition: QuestionnaireFromPath,
    registry: RegistryDep,
    wanted: WantedLocales,
    views: RenderedViews,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Get a questionnaire with its items and its full scoring rules, in one language.

    The language comes from `?lang=`, then `Accept-Language`, then the questionnaire's
    default; `Content-Language` says which was used. Send the `ETag` back in `If-None-Match`
    to get 304 when nothing changed.
    """
    locale = negotiate_locale(wanted, definition.locales, definition.default_locale)
    definition_hash = registry.hash(definition)
    etag = '"' + hashlib.sha256(f"{definition_hash}:{locale}".encode()).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Content-Language": locale,
        "Cache-Control": "public, max-age=300",
        "Vary": "Accept-Language",
    }
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    key = (definition_hash, locale)
    if key not in views:
        views[key] = present(definition, definition_hash, locale).model_dump_json().encode()
    return Response(views[key], media_type="application/json", headers=headers)


@router.get("/concepts", response_model=list[ConceptRead])
def list_concepts(registry: RegistryDep, wanted: WantedLocales) -> list[ConceptRead]:
    """List the concepts from the article that items, scales and feedback are tied to."""
    locale = negotiate_locale(wanted, CONCEPT_LOCALES, "en")
    return [present_concept(c, locale) for c in registry.concepts.concepts]
