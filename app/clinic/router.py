"""/v1/clients, invitations, results, trends, /v1/attention and the organization's webhook."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.dependencies import CurrentAdmin, CurrentTherapist
from app.accounts.models import User
from app.assessments.schemas import TrendRead
from app.audit.service import record
from app.clinic import emails, erasure, invitations, results, sending, service, webhooks
from app.clinic.dependencies import AppSettings, ClientInScope, InvitationInScope, ResultInScope
from app.clinic.models import Invitation
from app.clinic.schemas import (
    Acknowledgement,
    AttentionPage,
    ClientConsentRead,
    ClientCreate,
    ClientErasure,
    ClientPage,
    ClientRead,
    ClientResultPage,
    EmailDeliveryRead,
    InvitationCreate,
    InvitationCreated,
    InvitationList,
    InvitationRead,
    InvitationSend,
    WebhookCreated,
    WebhookDeliveryList,
    WebhookUpdate,
)
from app.db import SessionDep, utcnow
from app.i18n import negotiate_locale
from app.problems import problems
from app.questionnaires.dependencies import RegistryDep, WantedLocales, find_questionnaire
from app.questionnaires.model import SLUG

router = APIRouter(prefix="/v1", tags=["clinic"])

STAFF = problems(401, 403, 404, 422)
ADMIN = problems(401, 403, 422)
Limit = Annotated[int, Query(ge=1, le=100, description="Page size (at most 100).")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of a page.")]


@router.post("/clients", status_code=status.HTTP_201_CREATED, responses=STAFF)
async def create_client(
    body: ClientCreate, session: SessionDep, user: CurrentTherapist
) -> ClientRead:
    """Add a client (yours; an admin may name a therapist of the organization)."""
    client = await service.create_client(session, user, body.label, body.email, body.therapist_id)
    return service.present_client(client)


@router.get("/clients", responses=STAFF)
async def list_clients(
    session: SessionDep, user: CurrentTherapist, limit: Limit = 20, cursor: Cursor = None
) -> ClientPage:
    """List your clients (an admin: the organization's), newest first."""
    return await service.list_clients(session, user, limit=limit, cursor=cursor)


@router.get("/clients/{client_id}", responses=STAFF)
async def get_client(client: ClientInScope) -> ClientRead:
    """Get one of your clients."""
    return service.present_client(client)


@router.post("/clients/{client_id}/withdraw-consent", responses=STAFF)
async def withdraw_client_consent(
    client: ClientInScope, session: SessionDep, user: CurrentTherapist
) -> ClientConsentRead:
    """Record the client's withdrawal of research consent: they leave every later export.

    For a client who asked their therapist (an intake link is no credential once spent).
    Audited; repeating it changes nothing.
    """
    return await erasure.withdraw_consent(session, user, client)


@router.delete("/clients/{client_id}", responses=STAFF)
async def erase_client(
    client: ClientInScope, session: SessionDep, user: CurrentTherapist
) -> ClientErasure:
    """Erase the client: answers, results, invitations, label, email and webhook events.

    What stays is an audit row saying that an erasure happened (who, when, the client's id
    and the counts), with no personal data. Says how many of each were deleted.
    """
    return await erasure.erase_client(session, user, client)


@router.post(
    "/clients/{client_id}/invitations", status_code=status.HTTP_201_CREATED, responses=STAFF
)
async def create_invitation(
    body: InvitationCreate,
    client: ClientInScope,
    session: SessionDep,
    registry: RegistryDep,
    user: CurrentTherapist,
    settings: AppSettings,
) -> InvitationCreated:
    """Make an intake link for the client. The link and its token are shown this once only."""
    chosen = invitations.resolve_questionnaires(registry, body.questionnaires)
    invitation, token, url = await sending.make_link(session, settings, user, client, chosen, body)
    return await _created(session, invitation, url, token)


@router.post("/invitations/{invitation_id}/send", responses=STAFF | problems(409, 422))
async def send_invitation(
    body: InvitationSend,
    invitation: InvitationInScope,
    session: SessionDep,
    settings: AppSettings,
) -> InvitationCreated:
    """Email a pending link again, as a new link (the old one stops working; shown once)."""
    token, url = await sending.send_again(session, settings, invitation, body.language)
    return await _created(session, invitation, url, token)


async def _created(
    session: AsyncSession, invitation: Invitation, url: str, token: str
) -> InvitationCreated:
    sent = await emails.deliveries(session, [invitation.id])
    shown = invitations.present_invitation(
        invitation, utcnow(), _email_read(sent.get(invitation.id))
    )
    return InvitationCreated(**dict(shown), url=url, token=token)


def _email_read(delivery: emails.EmailDelivery | None) -> EmailDeliveryRead | None:
    return None if delivery is None else EmailDeliveryRead(**asdict(delivery))


@router.get("/clients/{client_id}/invitations", responses=STAFF)
async def list_invitations(client: ClientInScope, session: SessionDep) -> InvitationList:
    """List the client's invitations with their status and email delivery (never links)."""
    now = utcnow()
    found = await invitations.list_invitations(session, client)
    sent = await emails.deliveries(session, [i.id for i in found])
    return InvitationList(
        items=[invitations.present_invitation(i, now, _email_read(sent.get(i.id))) for i in found]
    )


@router.post("/invitations/{invitation_id}/revoke", responses=STAFF | problems(409))
async def revoke_invitation(invitation: InvitationInScope, session: SessionDep) -> InvitationRead:
    """Revoke an unused invitation: its link stops working. Repeating it changes nothing."""
    revoked = await invitations.revoke_invitation(session, invitation)
    return invitations.present_invitation(revoked, utcnow())


@router.get("/clients/{client_id}/results", responses=STAFF)
async def list_client_results(
    client: ClientInScope,
    session: SessionDep,
    registry: RegistryDep,
    user: CurrentTherapist,
    wanted: WantedLocales,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ClientResultPage:
    """The client's results, newest first: scores, bands, profile, flags and the rule trace."""
    page = await results.client_results(
        session, registry, client, wanted, limit=limit, cursor=cursor
    )
    await _audit_read(session, user, client.id, {"count": len(page.items)})
    return page


@router.get("/clients/{client_id}/trends", responses=STAFF)
async def get_client_trend(
    client: ClientInScope,
    session: SessionDep,
    registry: RegistryDep,
    user: CurrentTherapist,
    wanted: WantedLocales,
    questionnaire: Annotated[str, Query(pattern=SLUG, examples=["window-of-tolerance"])],
    scale: Annotated[str, Query(pattern=SLUG, examples=["hyperarousal"])],
) -> TrendRead:
    """One scale over the client's results, with reliable change where figures are published."""
    definition = find_questionnaire(registry, questionnaire, None)
    locale = negotiate_locale(wanted, definition.locales, definition.default_locale)
    trend = await results.client_trend(session, client, definition, scale, locale)
    read = {"count": len(trend.points), "questionnaire": questionnaire, "scale": scale}
    await _audit_read(session, user, client.id, read)
    return trend


@router.get("/attention", responses=STAFF)
async def list_attention(
    session: SessionDep,
    registry: RegistryDep,
    user: CurrentTherapist,
    wanted: WantedLocales,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> AttentionPage:
    """Flagged results not yet acknowledged, of your clients (an admin: all), newest first."""
    page = await results.attention(session, registry, user, wanted, limit=limit, cursor=cursor)
    # Many clients at once: their ids (never labels) let an auditor find every read of one.
    shown = sorted({str(item.client_id) for item in page.items})
    await _audit_read(session, user, None, {"count": len(page.items), "client_ids": shown})
    return page


async def _audit_read(
    session: AsyncSession, user: User, client_id: UUID | None, details: dict[str, Any]
) -> None:
    """Record a read of results; it commits with the read, so a failed read records nothing."""
    if details["count"] == 0:
        return  # nothing was shown, so nothing was read: a GET that finds none writes nothing
    await record(
        session,
        "result.read",
        organization_id=user.organization_id,
        actor_user_id=user.id,
        target=str(client_id) if client_id else "attention",
        details=details,
    )


@router.post("/results/{result_id}/acknowledge", responses=STAFF)
async def acknowledge_result(
    result: ResultInScope, session: SessionDep, user: CurrentTherapist
) -> Acknowledgement:
    """Mark a result as seen so it leaves the attention list. Repeating it changes nothing."""
    return await results.acknowledge(session, user, result)


@router.put("/organization/webhook", responses=ADMIN)
async def set_webhook(
    body: WebhookUpdate, session: SessionDep, admin: CurrentAdmin, settings: AppSettings
) -> WebhookCreated:
    """Register the organization's webhook; returns a new signing secret, shown this once.

    The URL must be https to a public internet address: a host that is, or resolves to, a
    loopback, private, link-local, unique-local, multicast or reserved address is a 422.
    """
    secret = await webhooks.set_webhook(session, admin.organization_id, body.url, settings)
    return WebhookCreated(url=body.url.strip(), secret=secret)


@router.delete("/organization/webhook", status_code=status.HTTP_204_NO_CONTENT, responses=ADMIN)
async def delete_webhook(session: SessionDep, admin: CurrentAdmin) -> None:
    """Remove the webhook; events not yet delivered are marked failed."""
    await webhooks.clear_webhook(session, admin.organization_id)


@router.get("/organization/webhook/deliveries", responses=ADMIN)
async def list_webhook_deliveries(
    session: SessionDep, admin: CurrentAdmin, limit: Limit = 20
) -> WebhookDeliveryList:
    """The latest webhook deliveries with each try's status code or error."""
    items = await webhooks.recent_deliveries(session, admin.organization_id, limit)
    return WebhookDeliveryList(items=items)
