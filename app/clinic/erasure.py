"""A client's rights: withdraw research consent, and be erased. Staff act for the client.

A client who answered through an intake link has no credential of their own once the link
is spent, so their therapist (or an admin) records the request. Both use cases are audited
in the same transaction; the console calls them as the API does.

Erasure deletes the client's answers, results, invitations, label and email, their
respondent, and the webhook events that name them. The audit log keeps that an erasure
happened (who, when, the client's random id and the counts), never anything about the
person; earlier audit rows that name the client's id are kept as they are (ids only).
"""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.assessments.models import Assessment, Result
from app.audit.service import record
from app.clinic.models import Client, Invitation
from app.clinic.schemas import ClientConsentRead, ClientErasure
from app.outbox.models import OutboxAttempt, OutboxMessage
from app.respondents.models import Respondent, RespondentToken
from app.respondents.service import set_consent


async def withdraw_consent(session: AsyncSession, user: User, client: Client) -> ClientConsentRead:
    """Record that the client withdrew research consent: out of every later export.

    Repeating it changes nothing and records nothing more.
    """
    respondent = await session.get_one(Respondent, client.respondent_id)
    if respondent.research_consent:
        set_consent(respondent, False)
        await record(
            session,
            "client.consent_withdraw",
            organization_id=client.organization_id,
            actor_user_id=user.id,
            target=str(client.id),
        )
    await session.flush()
    return ClientConsentRead(
        client_id=client.id,
        research_consent=respondent.research_consent,
        research_consent_at=respondent.research_consent_at,
    )


async def erase_client(session: AsyncSession, user: User, client: Client) -> ClientErasure:
    """Delete everything about the client; say how much went, and audit that it happened."""
    client_id, respondent_id = client.id, client.respondent_id
    organization_id = client.organization_id
    assessments = select(Assessment.id).where(Assessment.respondent_id == respondent_id)
    results = select(Result.id).where(Result.assessment_id.in_(assessments))
    invitations = select(Invitation.id).where(Invitation.client_id == client_id)
    # Webhook events that name the client, and emails about the client's invitations.
    events = select(OutboxMessage.id).where(
        OutboxMessage.organization_id == organization_id,
        or_(
            OutboxMessage.payload["client_id"].as_string() == str(client_id),
            OutboxMessage.reference_id.in_(invitations),
        ),
    )
    erasure = ClientErasure(
        client_id=client_id,
        assessments=await _count(session, assessments),
        results=await _count(session, results),
        invitations=await _count(session, invitations),
        outbox_messages=await _count(session, events),
    )
    # Children first, explicitly: nothing relies on the database cascading.
    # Materialized first: the emails are found through the invitations deleted below.
    doomed = list((await session.execute(events)).scalars())
    await session.execute(delete(OutboxAttempt).where(OutboxAttempt.message_id.in_(doomed)))
    await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(doomed)))
    await session.execute(delete(Result).where(Result.assessment_id.in_(assessments)))
    await session.execute(delete(Assessment).where(Assessment.respondent_id == respondent_id))
    await session.execute(delete(Invitation).where(Invitation.client_id == client_id))
    await session.execute(delete(Client).where(Client.id == client_id))
    await session.execute(
        delete(RespondentToken).where(RespondentToken.respondent_id == respondent_id)
    )
    await session.execute(delete(Respondent).where(Respondent.id == respondent_id))
    await record(
        session,
        "client.erase",
        organization_id=organization_id,
        actor_user_id=user.id,
        target=str(client_id),
        details=erasure.model_dump(mode="json", exclude={"client_id"}),
    )
    return erasure


async def _count(session: AsyncSession, ids: object) -> int:
    statement = select(func.count()).select_from(ids.subquery())  # type: ignore[attr-defined]
    return int((await session.execute(statement)).scalar_one())
