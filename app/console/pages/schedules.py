"""A therapist's schedules of recurring check-ins, from the client page: make one, pause,
resume, stop. The same use cases as /v1/clients/{id}/schedules (app/schedules/service.py):
every rule (an end after the start, at least one unit apart, at most 100 occurrences, only
questionnaires on offer) is theirs; this page only reads the form and says the refusal.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.models import Organization, User
from app.clinic.invitations import resolve_questionnaires
from app.clinic.models import Client
from app.console import submissions
from app.console.checkins import local_moment
from app.console.forms import as_list, read_form, service_errors, validate
from app.console.language import request_locale
from app.console.lookups import ConsoleClient, ConsoleSchedule
from app.console.pages.clients import client_page
from app.console.rendering import redirect
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleClinician
from app.console.texts import texts
from app.db import SessionDep, utcnow
from app.errors import InvalidInput
from app.questionnaires.dependencies import RegistryDep
from app.questionnaires.registry import Registry
from app.schedules import service
from app.schedules.schemas import ScheduleCreate

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
#: The form's text fields, as typed (kept when the form comes back with errors).
TYPED: tuple[str, ...] = (
    "every",
    "unit",
    "starts_at",
    "start_time",
    "ends_at",
    "count",
    "expires_in_days",
)
TYPED += ("remind_after_days", "max_reminders", "language", "ends_by")
#: End dates are whole days: an occurrence on the end date is still made.
END_OF_DAY = "23:59:59"


def _say(errors: dict[str, str], values: dict[str, Any], locale: str) -> dict[str, str]:
    """The refusals in the console's words (in the page's language), each on the form's own
    field."""
    t = texts(locale)
    said: dict[str, str] = {}
    for name, message in errors.items():
        name = "questionnaires" if name.startswith("questionnaires") else name
        if name == "ends_at" and values.get("ends_by") != "date":
            name, message = "count", t["schedule_error_count"]
        elif name == "ends_at" and message.startswith("more than"):
            message = t["schedule_error_too_many"]
        elif name == "ends_at" and message.startswith("ends before"):
            message = t["schedule_error_ends_before"]
        elif f"schedule_error_{name}" in t:
            message = t[f"schedule_error_{name}"]
        said.setdefault(name, message)
    return said


def read_plan(
    data: dict[str, Any], zone: str, locale: str = "en"
) -> tuple[dict[str, Any], ScheduleCreate | None, dict[str, str]]:
    """(what was typed, the API's body or None, errors per field) of the schedule form.

    Dates and the time of day are the organization's wall time; the end is a whole day (an
    occurrence on the end date is made) or a number of check-ins, as `ends_by` says.
    """
    values: dict[str, Any] = {name: str(data.get(name, "")).strip() for name in TYPED}
    values["questionnaires"] = as_list(data.get("questionnaires"))
    values["show_feedback"] = data.get("show_feedback") == "yes"
    values["ends_by"] = "date" if data.get("ends_by") == "date" else "count"
    errors: dict[str, str] = {}
    starts = local_moment(values["starts_at"], values["start_time"], zone)
    if starts is None:
        errors["starts_at"] = ""
    ends = None
    if values["ends_by"] == "date":
        ends = local_moment(values["ends_at"], END_OF_DAY, zone)
        if ends is None:
            errors["ends_at"] = ""
    skipped = {"starts_at", "ends_at", "start_time", "count"}
    fields = {k: v for k, v in values.items() if k not in skipped}
    fields |= {"starts_at": starts or "", "ends_at": ends}
    if values["ends_by"] == "count":
        fields["count"] = values["count"]
    body, invalid = validate(ScheduleCreate, fields, locale)
    errors = {**invalid, **errors}
    return values, (None if errors else body), _say(errors, values, locale)


@router.post("/clients/{client_id}/schedules")
async def create_schedule(
    request: Request,
    client: ConsoleClient,
    session: SessionDep,
    registry: RegistryDep,
    user: ConsoleClinician,
) -> Response:
    """Make a schedule once (a second submit of the same form goes back to the page)."""
    data = await read_form(request)
    organization = await session.get_one(Organization, client.organization_id)
    locale = request_locale(request)
    values, body, errors = read_plan(data, organization.time_zone, locale)
    target = f"/console/clients/{client.id}"
    nonce = str(data.get(submissions.FIELD, ""))
    if body is not None:
        try:
            chosen = resolve_questionnaires(registry, body.questionnaires)
            if await submissions.earlier(session, user, nonce):
                return redirect(target + "?scheduled=1")
            asked = body.model_dump(exclude={"questionnaires"})
            plan = service.Plan(questionnaires=chosen, **asked)
            schedule = await service.create_schedule(session, user, client, plan, utcnow())
        except InvalidInput as error:
            errors = _say(service_errors(error, locale=locale), values, locale)
        else:
            if await submissions.claim(session, user, nonce) is not None:
                await session.delete(schedule)  # the same form, sent twice at once
                await session.flush()
            else:
                await submissions.complete(session, nonce, target)
            return redirect(target + "?scheduled=1#schedules-title")
    return await _again(request, session, registry, user, client, values, errors)


async def _again(
    request: Request,
    session: SessionDep,
    registry: Registry,
    user: User,
    client: Client,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    """The client page with the schedule form as typed and its errors (422)."""
    return await client_page(
        request,
        session,
        registry,
        user,
        client,
        schedule_values=values,
        schedule_errors={f"schedule-{name}": message for name, message in errors.items()},
        status_code=422,
    )


@router.post("/schedules/{schedule_id}/pause")
async def pause(schedule: ConsoleSchedule, session: SessionDep) -> Response:
    """No occurrences until resumed (a stopped schedule: a 409 page)."""
    await service.pause_schedule(session, schedule)
    return redirect(f"/console/clients/{schedule.client_id}?paused=1#schedules-title")


@router.post("/schedules/{schedule_id}/resume")
async def resume(schedule: ConsoleSchedule, session: SessionDep) -> Response:
    """Occurrences again from the next one due (those due while paused are skipped)."""
    await service.resume_schedule(session, schedule, utcnow())
    return redirect(f"/console/clients/{schedule.client_id}?resumed=1#schedules-title")


@router.post("/schedules/{schedule_id}/stop")
async def stop(schedule: ConsoleSchedule, session: SessionDep) -> Response:
    """No more occurrences, for good; links already sent keep working until they expire."""
    await service.stop_schedule(session, schedule, utcnow())
    return redirect(f"/console/clients/{schedule.client_id}?stopped=1#schedules-title")
