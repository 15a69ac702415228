"""The research use cases as both faces call them: the API's routes and the console's pages.

Each takes what the researcher asked (questionnaire, study, periods as text) and applies
every rule once: the study's scope, filters only at the granularity the rows show, the
population floor, and the audit entry. Nothing here knows whether it answers JSON or HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.audit.service import record
from app.config import Settings
from app.questionnaires.model import Definition
from app.questionnaires.registry import Registry
from app.research import studies
from app.research.aggregates import aggregate
from app.research.codebook import codebook
from app.research.export import ExportRun
from app.research.periods import aggregate_units, units_shown, window
from app.research.population import require_people
from app.research.schemas import Aggregates, Codebook
from app.research.service import ExportSpec, Scope, people_statement


@dataclass(frozen=True)
class PreparedExport:
    """An export that may go out: what to read, who asked, and the headers that describe it."""

    spec: ExportSpec
    run: ExportRun
    headers: dict[str, str]


async def _scope(session: AsyncSession, settings: Settings, user: User, study: str | None) -> Scope:
    found = await studies.study_named(session, user.organization_id, study) if study else None
    return studies.scope_of(found, settings.secret_key.get_secret_value())


async def prepare_export(
    session: AsyncSession,
    settings: Settings,
    user: User,
    definition: Definition,
    *,
    start: str | None,
    end: str | None,
    study: str | None,
    items: bool,
    export_format: str,
    via: str,
) -> PreparedExport:
    """Check an export (422 for a finer filter or fewer than k people) and describe it."""
    scope = await _scope(session, settings, user, study)
    period = window(start, end, units_shown(scope.finer_time))
    spec = ExportSpec(user.organization_id, definition, scope, period, items, export_format)
    await require_people(session, people_statement(spec), settings.research_min_cell, "export")
    headers = {
        "Content-Disposition": f'attachment; filename="{definition.key}.{export_format}"',
        "Attune-Pseudonym-Scope": scope.label,
        "Attune-Designation": scope.designation,
        "Attune-Finer-Time": scope.finer_time or "none",
        "Cache-Control": "no-store",
    }
    return PreparedExport(spec, ExportRun(user.organization_id, user.id, via=via), headers)


async def describe_columns(
    session: AsyncSession,
    settings: Settings,
    registry: Registry,
    user: User,
    definition: Definition,
    *,
    study: str | None,
    shown_as: str,
) -> Codebook:
    """The codebook of a questionnaire version (for a study's scope), audited."""
    scope = await _scope(session, settings, user, study)
    book = codebook(definition, registry.hash(definition), scope, settings.research_min_cell)
    await record(
        session,
        "research.codebook",
        organization_id=user.organization_id,
        actor_user_id=user.id,
        target=definition.key,
        details={"format": shown_as, "study": study},
    )
    return book


async def aggregate_periods(
    session: AsyncSession,
    settings: Settings,
    user: User,
    definition: Definition,
    *,
    period: str,
    start: str | None,
    end: str | None,
    study: str | None,
    via: str,
) -> Aggregates:
    """Aggregates per calendar period, small cells hidden, too few people refused; audited."""
    scope = await _scope(session, settings, user, study)
    chosen = window(start, end, aggregate_units(period, scope.finer_time))
    k = settings.research_min_cell
    periods = await aggregate(
        session, user.organization_id, definition, period=period, window=chosen, min_cell=k
    )
    filters = {"period": period, **chosen.labels(), "study": study, "min_cell": k}
    await record(
        session,
        "research.aggregates",
        organization_id=user.organization_id,
        actor_user_id=user.id,
        target=definition.key,
        details=filters | {"periods": len(periods), "via": via},
    )
    return Aggregates(
        questionnaire_id=definition.id,
        questionnaire_version=definition.version,
        period=period,
        study=study,
        min_cell=k,
        periods=periods,
    )
