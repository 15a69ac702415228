"""Reading console forms: the same pydantic models as the API, errors named per field.

A form with a mistake comes back with each error next to its field and a summary at the
top, keeping what was typed (never a password), and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from app.errors import AppError

ModelT = TypeVar("ModelT", bound=BaseModel)

#: What to say about each field, in the console's words (the API's are for programmers).
MESSAGES: Mapping[str, str] = {
    "label": "Enter a name or label, up to 200 characters.",
    "email": "Enter an email address such as name@example.org, or leave it empty.",
    "questionnaires": "Choose at least one questionnaire.",
    "expires_in_days": "Choose a number of days from 1 to 30.",
    "password": "Use at least 12 characters.",
    "role": "Choose a role.",
    "url": "Enter an https address (http only for localhost).",
    "name": "Enter a name, up to 200 characters.",
}


async def read_form(request: Request) -> dict[str, Any]:
    """The form's fields: one string each, or a list for fields sent several times."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        found = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = found if len(found) > 1 else (found[0] if found else "")
    return values


def validate(model: type[ModelT], data: dict[str, Any]) -> tuple[ModelT | None, dict[str, str]]:
    """The model, or the errors per field (one message per field, the first found).

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
        errors: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "form"
            errors.setdefault(name, MESSAGES.get(name, problem["msg"]))
        return None, errors


def service_errors(error: AppError, parameters: Mapping[str, str] | None = None) -> dict[str, str]:
    """A service's refusal (422, 409) as errors per field, from each entry's JSON pointer or
    query parameter (`parameters` maps the API's parameter names to the form's fields)."""
    errors: dict[str, str] = {}
    for entry in error.extensions.get("errors", []):
        if "parameter" in entry:
            name = (parameters or {}).get(str(entry["parameter"]), "form")
        else:
            pointer = str(entry.get("pointer", "#/form"))
            name = pointer.removeprefix("#/").split("/")[0] or "form"
        errors.setdefault(name, str(entry.get("detail", error.detail)))
    return errors or {"form": error.detail}


def as_list(value: Any) -> list[str]:
    """A checkbox group's values (one value comes as a string, none as absent)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []
