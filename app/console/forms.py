"""Reading console forms: the same pydantic models as the API, errors named per field.

A form with a mistake comes back with each error next to its field and a summary at the
top, keeping what was typed (never a password), and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from app.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.console.texts import texts
from app.errors import AppError

ModelT = TypeVar("ModelT", bound=BaseModel)

#: The key in app/console/texts.py of what to say about each field when it does not
#: validate, in the console's words (the API's are for programmers).
MESSAGES: Mapping[str, str] = {
    "label": "msg_label",
    "email": "msg_email",
    "questionnaires": "msg_questionnaires",
    "expires_in_days": "msg_expires_in_days",
    "password": "msg_password",
    "role": "msg_role",
    "url": "msg_url",
    "name": "msg_name",
}

#: A service's refusal of a field, in the console's words. The webhook address keeps the
#: service's own detail (it says which check the address failed), as do unlisted fields.
REFUSED: Mapping[str, str] = {
    "email": "msg_email_taken",
    "current_password": "password_wrong",
    "new_password": "password_length",
    "password": "password_length",
    "role": "msg_role",
    "name": "msg_study_taken",
    "questionnaires": "msg_questionnaire_choice",
    "start": "msg_year",
    "end": "period_backwards",
    "period": "msg_period",
    "study": "no_study",
}


async def read_form(request: Request) -> dict[str, Any]:
    """The form's fields: one string each, or a list for fields sent several times."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        found = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = found if len(found) > 1 else (found[0] if found else "")
    return values


def validate(
    model: type[ModelT], data: dict[str, Any], locale: str = "en"
) -> tuple[ModelT | None, dict[str, str]]:
    """The model, or the errors per field (one message per field, the first found, in the
    page's language).

    Only the model's fields are read (the form also carries its CSRF token and nonce), and
    an optional field left empty takes its default.
    """
    fields = {
        name: data[name]
        for name, info in model.model_fields.items()
        if name in data and not (data[name] == "" and not info.is_required())
    }
    try:
        # Lax, unlike the API's JSON bodies: every value of an HTML form arrives as text.
        return model.model_validate(fields, strict=False), {}
    except ValidationError as error:
        t = texts(locale)
        errors: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "form"
            errors.setdefault(name, t[MESSAGES[name]] if name in MESSAGES else problem["msg"])
        return None, errors


def service_errors(
    error: AppError, parameters: Mapping[str, str] | None = None, locale: str = "en"
) -> dict[str, str]:
    """A service's refusal (422, 409) as errors per field, from each entry's JSON pointer or
    query parameter (`parameters` maps the API's parameter names to the form's fields).

    In English a field keeps the service's detail, which is already written for people; in
    another language a field the console knows gets its words from `REFUSED`.
    """
    t = texts(locale)
    errors: dict[str, str] = {}
    for entry in error.extensions.get("errors", []):
        if "parameter" in entry:
            name = (parameters or {}).get(str(entry["parameter"]), "form")
        else:
            pointer = str(entry.get("pointer", "#/form"))
            name = pointer.removeprefix("#/").split("/")[0] or "form"
        detail = str(entry.get("detail", error.detail))
        if locale != "en" and name in REFUSED:
            detail = t[REFUSED[name]].format(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)
        errors.setdefault(name, detail)
    return errors or {"form": error.detail}


def as_list(value: Any) -> list[str]:
    """A checkbox group's values (one value comes as a string, none as absent)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []
