"""Research test data: an organization whose clients, staff and names carry marker strings.

Assessments are stored with real scores from the engine, at chosen times, so exports,
sequences, periods and suppression can be checked against known values.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import insert, update

from app.assessments.models import SUBMITTED, Assessment, Result
from app.clinic.models import Client
from app.respondents.models import Respondent
from app.scoring.engine import score
from tests.conftest import new_staff

LONELINESS = "three-item-loneliness"
LONELY = {"lack-companionship": 3, "left-out": 2, "isolated": 2}  # 7: higher
NOT_LONELY = {"lack-companionship": 1, "left-out": 1, "isolated": 2}  # 4: lower


@dataclass
class Clinic:
    """An organization with a researcher, an admin and a therapist, and what was seeded."""

    organization_id: uuid.UUID
    researcher: dict[str, str]
    admin: dict[str, str]
    therapist: dict[str, str]
    therapist_id: uuid.UUID
    raw_ids: set[str] = field(default_factory=set)
    markers: set[str] = field(default_factory=set)


async def new_clinic(app: FastAPI) -> Clinic:
    """A fresh organization; the therapist's email carries a marker."""
    marker = f"marker-therapist-{uuid.uuid4().hex[:6]}"
    therapist, therapist_id, org = await new_staff(app, "therapist", email=f"{marker}@example.test")
    researcher, researcher_id, _ = await new_staff(app, "researcher", org)
    admin, admin_id, _ = await new_staff(app, "admin", org)
    clinic = Clinic(org, researcher, admin, therapist, therapist_id, markers={marker})
    clinic.raw_ids |= {str(i) for i in (org, therapist_id, researcher_id, admin_id)}
    return clinic


async def new_person(app: FastAPI, clinic: Clinic | None, *, consent: bool = True) -> uuid.UUID:
    """A respondent (a client of the clinic, label and email marked; none: an app user)."""
    n = uuid.uuid4().hex[:8]
    async with app.state.sessionmaker.begin() as session:
        respondent = Respondent(research_consent=consent, locale="en")
        session.add(respondent)
        await session.flush()
        if clinic is not None:
            client = Client(
                organization_id=clinic.organization_id,
                therapist_id=clinic.therapist_id,
                label=f"MARKER-LABEL-{n}",
                email=f"marker-{n}@example.test",
                respondent_id=respondent.id,
            )
            session.add(client)
            await session.flush()
            clinic.markers |= {client.label, client.email or ""}
            clinic.raw_ids |= {str(respondent.id), str(client.id)}
    return respondent.id


async def add_assessment(
    app: FastAPI,
    person: uuid.UUID,
    answered_at: datetime,
    answers: dict[str, int] | None = None,
    *,
    questionnaire: str = LONELINESS,
    consent: bool = True,
    clinic: Clinic | None = None,
) -> uuid.UUID:
    """A submitted, scored assessment answered at a given time (UTC)."""
    registry = app.state.registry
    definition = registry.get(questionnaire)
    digest = registry.hash(definition)
    scored = score(definition, answers or LONELY, definition_hash=digest)
    async with app.state.sessionmaker.begin() as session:
        assessment = Assessment(
            respondent_id=person,
            questionnaire_id=definition.id,
            questionnaire_version=definition.version,
            definition_hash=digest,
            status=SUBMITTED,
            source="intake",
            answers=dict(answers or LONELY),
            answered_at=answered_at,
            submitted_at=answered_at,
            research_consent=consent,
        )
        session.add(assessment)
        await session.flush()
        session.add(
            Result(
                assessment_id=assessment.id,
                definition_hash=digest,
                engine_version=scored.engine_version,
                score=scored.model_dump(mode="json"),
                profile=scored.profile,
                flagged=bool(scored.flags),
            )
        )
    if clinic is not None:
        clinic.raw_ids.add(str(assessment.id))
    return assessment.id


async def withdraw(app: FastAPI, person: uuid.UUID) -> None:
    """The person withdraws research consent (as PUT /v1/me/consent does)."""
    async with app.state.sessionmaker.begin() as session:
        statement = update(Respondent).where(Respondent.id == person)
        await session.execute(statement.values(research_consent=False))


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    """A UTC time."""
    return datetime(year, month, day, hour, 7, 31, 123456, tzinfo=UTC)


#: The year of the crowd: tests of a few people add k others there, so exports are allowed.
CROWD_YEAR = 2023


async def crowd(app: FastAPI, clinic: Clinic, n: int = 11) -> None:
    """n consenting people answered in CROWD_YEAR: enough people for an export to be allowed."""
    await many_people(app, clinic, n, when=at(CROWD_YEAR, 7, 1))


def seeded_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An export's rows without the crowd's."""
    return [row for row in rows if str(row["year"]) != str(CROWD_YEAR)]


async def many_people(
    app: FastAPI,
    clinic: Clinic,
    n: int,
    *,
    when: datetime | None = None,
    answers: dict[str, int] | None = None,
    questionnaire: str = LONELINESS,
    version: str | None = None,
    consent: bool = True,
    consented_then: bool | None = None,
) -> list[uuid.UUID]:
    """n clients with one assessment each, inserted in bulk (fast on both databases).

    `version` stores the assessments under another version than the registry's latest;
    `consent` is the person's consent now, `consented_then` at submission (as now if None).
    """
    registry = app.state.registry
    definition = registry.get(questionnaire)
    digest = registry.hash(definition)
    answers = answers or LONELY
    scored = score(definition, answers, definition_hash=digest).model_dump(mode="json")
    people = [uuid.uuid4() for _ in range(n)]
    assessments = [uuid.uuid4() for _ in range(n)]
    when = when or at(2024, 5, 1)
    async with app.state.sessionmaker.begin() as session:
        await session.execute(
            insert(Respondent), [{"id": p, "research_consent": consent} for p in people]
        )
        clients = [
            {
                "organization_id": clinic.organization_id,
                "therapist_id": clinic.therapist_id,
                "label": f"MARKER-LABEL-bulk-{i}",
                "respondent_id": p,
            }
            for i, p in enumerate(people)
        ]
        await session.execute(insert(Client), clients)
        rows = [
            {
                "id": a,
                "respondent_id": p,
                "questionnaire_id": definition.id,
                "questionnaire_version": version or definition.version,
                "definition_hash": digest,
                "status": SUBMITTED,
                "source": "app",
                "answers": answers,
                "answered_at": when,
                "submitted_at": when,
                "research_consent": consent if consented_then is None else consented_then,
            }
            for a, p in zip(assessments, people, strict=True)
        ]
        await session.execute(insert(Assessment), rows)
        results = [
            {
                "assessment_id": a,
                "definition_hash": digest,
                "engine_version": scored["engine_version"],
                "score": scored,
                "profile": scored["profile"],
                "flagged": bool(scored["flags"]),
            }
            for a in assessments
        ]
        await session.execute(insert(Result), results)
    return people
