"""Clients: the list, add and edit, the client's page, intake links (send once, revoke)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.accounts.models import User
from app.clinic import emails, invitations, sending, service
from app.clinic.models import Client, Invitation
from app.clinic.schemas import ClientCreate, InvitationCreate, InvitationSend
from app.console import checkins, submissions
from app.console.forms import as_list, read_form, service_errors, validate
from app.console.language import request_locale, request_texts
from app.console.lookups import ConsoleClient, ConsoleInvitation
from app.console.pages.results import results_context
from app.console.qr import qr_svg
from app.console.rendering import page, redirect
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleClinician
from app.db import SessionDep, utcnow
from app.errors import InvalidInput
from app.questionnaires.dependencies import RegistryDep
from app.questionnaires.registry import Registry
from app.questionnaires.schemas import localized

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


def questionnaire_choices(registry: Registry, locale: str = "en") -> list[tuple[str, str]]:
    """(id, title) of every questionnaire a link can include, at its latest version.

    `latest_offered` is the API's rule too: one needing permission is off until enabled.
    """
    return [(d.id, localized(d.title, locale, d.default_locale)) for d in registry.latest_offered()]


@router.get("/clients")
async def client_list(
    request: Request,
    session: SessionDep,
    user: ConsoleClinician,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The clinician's clients, newest first."""
    found = await service.list_clients(session, user, limit=50, cursor=cursor)
    title = request_texts(request)["nav_clients"]
    return page(request, "console/clients/list.html", user, title=title, clients=found)


def client_form(
    request: Request,
    user: User,
    client: Client | None,
    values: dict[str, Any],
    errors: dict[str, str],
    nonce: str,
) -> Response:
    """The add or edit form (422 when it shows errors)."""
    t = request_texts(request)
    return page(
        request,
        "console/clients/form.html",
        user,
        422 if errors else 200,
        title=t["edit_client"] if client else t["add_client"],
        client=client,
        values=values,
        errors=errors,
        labels={"label": t["label_label"], "email": t["label_email"]},
        nonce=nonce,
    )


@router.get("/clients/new")
async def new_client(request: Request, user: ConsoleClinician) -> Response:
    """An empty client form."""
    return client_form(request, user, None, {}, {}, submissions.new_nonce())


@router.post("/clients")
async def create_client(request: Request, session: SessionDep, user: ConsoleClinician) -> Response:
    """Add a client once (a second submit of the same form goes to the first one's page)."""
    data = await read_form(request)
    fields = {"label": data.get("label"), "email": data.get("email")}
    body, errors = validate(ClientCreate, fields, request_locale(request))
    nonce = str(data.get(submissions.FIELD, ""))
    if body is None:
        return client_form(request, user, None, data, errors, nonce)
    earlier = await submissions.claim(session, user, nonce)
    if earlier is not None:
        return redirect(earlier)
    client = await service.create_client(session, user, body.label, body.email, None)
    target = f"/console/clients/{client.id}"
    await submissions.complete(session, nonce, target)
    return redirect(target + "?added=1")


@router.get("/clients/{client_id}/edit")
async def edit_client(request: Request, client: ConsoleClient, user: ConsoleClinician) -> Response:
    """The client's form, filled in."""
    values = {"label": client.label, "email": client.email or ""}
    return client_form(request, user, client, values, {}, "")


@router.post("/clients/{client_id}/edit")
async def update_client(
    request: Request, client: ConsoleClient, session: SessionDep, user: ConsoleClinician
) -> Response:
    """Save the client's label and email (saving twice is harmless)."""
    data = await read_form(request)
    fields = {"label": data.get("label"), "email": data.get("email")}
    body, errors = validate(ClientCreate, fields, request_locale(request))
    if body is None:
        return client_form(request, user, client, data, errors, "")
    await service.update_client(session, client, body.label, body.email)
    return redirect(f"/console/clients/{client.id}?saved=1")


async def client_page(
    request: Request,
    session: SessionDep,
    registry: Registry,
    user: User,
    client: Client,
    *,
    link_values: dict[str, Any] | None = None,
    link_errors: dict[str, str] | None = None,
    schedule_values: dict[str, Any] | None = None,
    schedule_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The client's page: details, intake links and the form to send one (by email too),
    each link's email delivery, schedules and missed check-ins; results."""
    now = utcnow()
    settings = request.app.state.settings
    links = await invitations.list_invitations(session, client)
    locale = request_locale(request)
    t = request_texts(request)
    context = await results_context(session, registry, user, client, locale)
    context |= await checkins.deliveries_context(session, settings, client, links, now)
    context |= await checkins.schedules_context(
        session, settings, client, now, schedule_values, schedule_errors
    )
    return page(
        request,
        "console/clients/page.html",
        user,
        status_code,
        title=client.label,
        client=client,
        links=[(i, invitations.invitation_status(i, now)) for i in links],
        choices=questionnaire_choices(registry, locale),
        link_values=link_values or {"expires_in_days": "7", "show_feedback": True},
        errors=link_errors or {},
        labels={
            "questionnaires": t["label_questionnaires"],
            "expires_in_days": t["label_expires_in_days"],
        }
        | _email_labels(t),
        schedule_labels=schedule_labels(t),
        nonce=submissions.new_nonce(),
        notice=_notice(request),
        **context,
    )


def _notice(request: Request) -> str | None:
    """What the last form did, from the redirect's query (?added=1 and so on)."""
    keys = {"added": "client_added", "saved": "client_saved", "revoked": "link_revoked"}
    keys["again"] = "link_again"
    keys |= checkins.NOTICES
    found = next((text for flag, text in keys.items() if request.query_params.get(flag)), None)
    return request_texts(request)[found] if found else None


@router.get("/clients/{client_id}")
async def show_client(
    request: Request,
    client: ConsoleClient,
    session: SessionDep,
    registry: RegistryDep,
    user: ConsoleClinician,
) -> Response:
    """One client's page."""
    return await client_page(request, session, registry, user, client)


@router.post("/clients/{client_id}/invitations")
async def send_link(
    request: Request,
    client: ConsoleClient,
    session: SessionDep,
    registry: RegistryDep,
    user: ConsoleClinician,
) -> Response:
    """Make an intake link and show it this once, as a link to copy and a QR code."""
    data = await read_form(request)
    chosen_ids = as_list(data.get("questionnaires"))
    values = {
        "questionnaires": chosen_ids,
        "expires_in_days": data.get("expires_in_days", ""),
        "show_feedback": data.get("show_feedback") == "yes",
        "send_email": data.get("send_email") == "yes",
        "language": data.get("language", "en"),
    }
    locale = request_locale(request)
    body, errors = validate(InvitationCreate, values, locale)
    chosen: list[dict[str, Any]] = []
    if body is not None:
        try:
            chosen = invitations.resolve_questionnaires(registry, body.questionnaires)
            if body.send_email:  # before anything is made: a refusal then changes nothing
                emails.check_can_email(request.app.state.settings, client, "#/send_email")
        except InvalidInput as error:
            errors = service_errors(error, locale=locale)
    if body is None or errors:
        return await client_page(
            request,
            session,
            registry,
            user,
            client,
            link_values=values,
            link_errors=errors,
            status_code=422,
        )
    nonce = str(data.get(submissions.FIELD, ""))
    target = f"/console/clients/{client.id}"
    if await submissions.claim(session, user, nonce) is not None:
        return redirect(target + "?again=1")
    invitation, _, url = await sending.make_link(
        session, request.app.state.settings, user, client, chosen, body
    )
    await submissions.complete(session, nonce, target)
    return link_page(request, user, client, invitation, url, emailed=body.send_email)


def link_page(
    request: Request,
    user: User,
    client: Client,
    invitation: Invitation,
    url: str,
    *,
    emailed: bool,
) -> Response:
    """A link shown this once, to copy or scan (and said to be emailed, when it was)."""
    return page(
        request,
        "console/clients/link.html",
        user,
        201,
        title=request_texts(request)["intake_link"],
        client=client,
        invitation=invitation,
        url=url,
        qr=qr_svg(url, request_texts(request)["qr_title"]),
        emailed_to=client.email if emailed else None,
    )


@router.post("/invitations/{invitation_id}/revoke")
async def revoke_link(
    invitation: ConsoleInvitation, session: SessionDep, user: ConsoleClinician
) -> Response:
    """Revoke an unused link; back to the client's page."""
    await invitations.revoke_invitation(session, invitation)  # a used one: 409 page
    return redirect(f"/console/clients/{invitation.client_id}?revoked=1")


def _email_labels(t: Mapping[str, str]) -> dict[str, str]:
    return {"send_email": t["send_email_label"], "language": t["email_language_label"]}


def schedule_labels(t: Mapping[str, str]) -> dict[str, str]:
    """The schedule form's fields, as its error summary names them."""
    names: tuple[str, ...] = ("questionnaires", "every", "unit", "starts_at", "start_time")
    names += ("ends_at", "count", "expires_in_days", "remind_after_days", "max_reminders")
    names += ("language",)
    # Prefixed: the page's link form has fields of the same names, and ids must be unique.
    return {f"schedule-{name}": t[f"schedule_field_{name}"] for name in names}


@router.post("/invitations/{invitation_id}/send")
async def resend_link(
    request: Request, invitation: ConsoleInvitation, session: SessionDep, user: ConsoleClinician
) -> Response:
    """Email a pending link again as a new link (the old one stops working), shown once."""
    data = await read_form(request)
    body, errors = validate(InvitationSend, {"language": data.get("language", "en")})
    target = f"/console/clients/{invitation.client_id}"
    if body is None:
        raise InvalidInput(next(iter(errors.values())), errors=[])
    nonce = str(data.get(submissions.FIELD, ""))
    if await submissions.claim(session, user, nonce) is not None:
        return redirect(target + "?again=1")
    await submissions.complete(session, nonce, target)
    try:
        _, url = await sending.send_again(
            session, request.app.state.settings, invitation, body.language
        )
    except InvalidInput as error:  # raised, so the claim rolls back too
        raise InvalidInput(next(iter(service_errors(error).values())), errors=[]) from error
    client = await session.get_one(Client, invitation.client_id)
    return link_page(request, user, client, invitation, url, emailed=True)
