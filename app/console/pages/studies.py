"""An admin's studies page: every study of the organization, a new one, and its designation.

The same use cases as `/v1/research/studies` and `PUT /v1/research/studies/{id}/designation`
(app/research/studies.py): a designation lets a limited data set or an expert-determined
study carry one finer time element in its exports, is refused with finer time on `none`,
and is written to the audit log as `study.designate` with what it was before.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.models import User
from app.console.forms import read_form, service_errors, validate
from app.console.language import request_locale, request_texts
from app.console.rendering import page, redirect
from app.console.routing import ConsoleRoute
from app.console.session import ConsoleAdmin
from app.db import SessionDep
from app.errors import Conflict, InvalidInput
from app.research import studies
from app.research.models import Study
from app.research.schemas import DesignationUpdate, StudyCreate

router = APIRouter(prefix="/console/admin", route_class=ConsoleRoute, include_in_schema=False)
HERE = "/console/admin/studies"
DESIGNATIONS = ("none", "limited_data_set", "expert_determination")
FINER = ("week", "month", "days_since_first")


def _labels(t: Mapping[str, str]) -> dict[str, str]:
    return {n: t[f"study_field_{n}"] for n in ("name", "designation", "finer_time")}


async def studies_page(
    request: Request,
    session: SessionDep,
    admin: User,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """The organization's studies and the form to make one."""
    t = request_texts(request)
    found = await studies.list_studies(session, admin.organization_id)
    flags = {"created": "study_created", "designated": "study_designated"}
    notice = next((t[k] for f, k in flags.items() if request.query_params.get(f)), None)
    return page(
        request,
        "console/research/studies.html",
        admin,
        422 if errors else 200,
        title=t["studies_title"],
        studies=found,
        values=values or {},
        errors=errors or {},
        labels=_labels(t),
        notice=notice,
    )


def designation_page(
    request: Request,
    admin: User,
    study: Study,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """One study's designation form."""
    t = request_texts(request)
    shown = values or {"designation": study.designation, "finer_time": study.finer_time or ""}
    return page(
        request,
        "console/research/designation.html",
        admin,
        422 if errors else 200,
        title=t["designation_title"].format(name=study.name),
        study=study,
        designations=DESIGNATIONS,
        finer=FINER,
        values=shown,
        errors=errors or {},
        labels=_labels(t),
    )


@router.get("/studies")
async def list_studies(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """Every study of the organization with what it may carry."""
    return await studies_page(request, session, admin)


@router.post("/studies")
async def create_study(request: Request, session: SessionDep, admin: ConsoleAdmin) -> Response:
    """A new study (year only until designated); its name is unique in the organization."""
    data = await read_form(request)
    values = {"name": str(data.get("name", "")).strip()}
    t = request_texts(request)
    body, errors = validate(StudyCreate, values, request_locale(request))
    errors = {k: t.get(f"study_error_{k}", v) for k, v in errors.items()}
    if body is not None:
        try:
            await studies.create_study(session, admin, body.name)
        except Conflict:  # the name is taken in the organization
            errors = {"name": t["study_name_taken"]}
        else:
            return redirect(f"{HERE}?created=1")
    return await studies_page(request, session, admin, values, errors)


@router.get("/studies/{study_id}")
async def show_study(
    study_id: uuid.UUID, request: Request, session: SessionDep, admin: ConsoleAdmin
) -> Response:
    """One study and its designation form (another organization's: not found)."""
    study = await studies.study_in(session, admin.organization_id, study_id)
    return designation_page(request, admin, study)


@router.post("/studies/{study_id}/designation")
async def designate(
    study_id: uuid.UUID, request: Request, session: SessionDep, admin: ConsoleAdmin
) -> Response:
    """Set the study's designation and finer time element; audited as study.designate."""
    study = await studies.study_in(session, admin.organization_id, study_id)
    data = await read_form(request)
    values = {k: str(data.get(k, "")) for k in ("designation", "finer_time")}
    wanted = {"designation": values["designation"], "finer_time": values["finer_time"] or None}
    locale = request_locale(request)
    body, errors = validate(DesignationUpdate, wanted, locale)
    if body is not None:
        try:
            await studies.designate(session, admin, study, body.designation, body.finer_time)
        except InvalidInput as error:
            errors = service_errors(error, locale=locale)
        else:
            return redirect(f"{HERE}?designated=1")
    t = request_texts(request)
    errors = {k: t.get(f"study_error_{k}", v) for k, v in errors.items()}
    return designation_page(request, admin, study, values, errors)
