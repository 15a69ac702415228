"""Named studies: created by researchers or admins, designated (finer time) only by admins."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.audit.service import record
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.research.models import Study
from app.research.pseudonyms import request_key, study_key
from app.research.service import Scope


async def create_study(session: AsyncSession, user: User, name: str) -> Study:
    """A new study of the user's organization; its name is unique there."""
    taken = Conflict(
        f"Your organization already has a study named {name!r}.",
        errors=[{"pointer": "#/name", "detail": "choose another name"}],
    )
    if await _named(session, user.organization_id, name) is not None:
        raise taken
    study = Study(organization_id=user.organization_id, name=name)
    session.add(study)
    try:
        await session.flush()
    except IntegrityError as error:  # the same name, created by a concurrent request
        raise taken from error
    await record(
        session,
        "study.create",
        organization_id=user.organization_id,
        actor_user_id=user.id,
        target=str(study.id),
    )
    return study


async def list_studies(session: AsyncSession, organization_id: uuid.UUID) -> list[Study]:
    """The organization's studies, by name."""
    statement = select(Study).where(Study.organization_id == organization_id).order_by(Study.name)
    return list((await session.execute(statement)).scalars())


async def study_in(session: AsyncSession, organization_id: uuid.UUID, study_id: uuid.UUID) -> Study:
    """One study of the organization, or 404 (another organization's is not ours to name)."""
    study = await session.get(Study, study_id)
    if study is None or study.organization_id != organization_id:
        raise NotFound("No such study in your organization.")
    return study


async def study_named(session: AsyncSession, organization_id: uuid.UUID, name: str) -> Study:
    """The organization's study with this name, or 404."""
    study = await _named(session, organization_id, name)
    if study is None:
        raise NotFound(f"Your organization has no study named {name!r}.")
    return study


async def _named(session: AsyncSession, organization_id: uuid.UUID, name: str) -> Study | None:
    statement = select(Study).where(Study.organization_id == organization_id, Study.name == name)
    return (await session.execute(statement)).scalar_one_or_none()


async def designate(
    session: AsyncSession, admin: User, study: Study, designation: str, finer_time: str | None
) -> Study:
    """Set what a study may carry beyond Safe Harbor; written to the audit log."""
    if designation == "none" and finer_time is not None:
        raise InvalidInput(
            "Finer time needs a limited data set or expert determination.",
            errors=[{"pointer": "#/finer_time", "detail": "must be null when designation is none"}],
        )
    before = {"designation": study.designation, "finer_time": study.finer_time}
    study.designation, study.finer_time = designation, finer_time
    study.designated_by, study.designated_at = admin.id, utcnow()
    await session.flush()
    after = {"designation": designation, "finer_time": finer_time}
    await record(
        session,
        "study.designate",
        organization_id=admin.organization_id,
        actor_user_id=admin.id,
        target=str(study.id),
        details={"before": before, "after": after},
    )
    return study


def scope_of(study: Study | None, secret_key: str) -> Scope:
    """The pseudonym scope of an export: the study's key, or a fresh one for this request."""
    if study is None:
        return Scope(key=request_key())
    finer = study.finer_time if study.designation != "none" else None
    return Scope(
        key=study_key(secret_key, study.id),
        study_id=study.id,
        study_name=study.name,
        designation=study.designation,
        finer_time=finer,
    )
