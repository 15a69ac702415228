"""Recomputing stored results: proof that any result can be audited and reproduced."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.assessments.models import Assessment, Result
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.questionnaires.registry import Registry
from app.questionnaires.service import definition_of
from app.scoring import ENGINE_VERSION, score
from app.scoring.result import ScoreResult

BATCH = 500


@dataclass
class RescoreReport:
    """How many results were checked, and a line per one that scores differently now."""

    engine_version: str
    checked: int = 0
    same: int = 0
    differences: list[str] = field(default_factory=list)


def compare_scores(stored: ScoreResult, fresh: ScoreResult) -> list[str]:
    """What differs between a stored and a recomputed result (the trace's wording aside)."""
    changes = []
    for before, after in zip(stored.scales, fresh.scales, strict=False):
        for name in ("score", "band", "status"):
            if getattr(before, name) != getattr(after, name):
                changes.append(
                    f"{before.id}.{name}: {getattr(before, name)} -> {getattr(after, name)}"
                )
    if stored.profile != fresh.profile:
        changes.append(f"profile: {stored.profile} -> {fresh.profile}")
    if stored.flags != fresh.flags:
        changes.append(f"flags: {stored.flags} -> {fresh.flags}")
    return changes


async def rescore_all(settings: Settings, *, limit: int | None = None) -> RescoreReport:
    """Score every stored result's answers again with the definition it was made with."""
    registry = Registry.load(support_file=settings.support_file)
    engine = create_engine(settings)
    report = RescoreReport(engine_version=ENGINE_VERSION)
    try:
        async with create_sessionmaker(engine)() as session:
            statement = (
                select(Assessment, Result)
                .join(Result, Result.assessment_id == Assessment.id)
                .order_by(Result.created_at, Result.id)
                .limit(limit)
                .execution_options(yield_per=BATCH)
            )
            rows = await session.stream(statement)
            async for assessment, result in rows:
                definition = await definition_of(session, registry, assessment)
                stored = ScoreResult.model_validate(result.score)
                fresh = score(
                    definition, assessment.answers, definition_hash=result.definition_hash
                )
                report.checked += 1
                changes = compare_scores(stored, fresh)
                if changes:
                    report.differences.append(
                        f"{assessment.id} ({stored.engine_version} -> {ENGINE_VERSION}): "
                        + "; ".join(changes)
                    )
                else:
                    report.same += 1
    finally:
        await engine.dispose()
    return report
