"""The OpenAPI contract: what the generated document adds to FastAPI's, in one place.

Routers declare what is theirs (`problems(...)` for errors, `sent(...)` for the headers of a
success, `header_parameters(...)` for request headers read without a declared parameter);
`openapi_document()` then applies what holds for every operation:

* errors are `application/problem+json`, 400 is possible everywhere, 429 carries Retry-After;
* every answer carries `X-Request-ID`; every `?lang=` has its `Accept-Language` twin;
* a header marked `REQUIRED` is required even though the route answers 400, not 422, without it;
* the intake-link token is offered only where `INTAKE_TOKEN_ROUTES` lets it in;
* request fields with a default are optional to generators (openapi-typescript makes a
  property with a `default` required), so the default moves into the description;
* a parameter's enum that is a named schema (`Period`) refers to it instead of repeating it;
* operation ids are camelCase (`exportResearchData`), and form bodies have real names.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.errors import PROBLEM_JSON
from app.problems import FieldError, Problem, unavailable_response

REF = "#/components/schemas/{model}"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
#: A `Header(json_schema_extra=REQUIRED)` is published as required (see the module docstring).
REQUIRED = {"x-attune-required": True}

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The version of what was returned: send it back in `If-Match` "
        "(assessments) or `If-None-Match` (questionnaires).",
        "schema": {"type": "string", "examples": ['"3"']},
    },
    "Location": {
        "description": "Where the assessment can be read.",
        "schema": {"type": "string", "examples": ["/v1/assessments/1b0c…"]},
    },
    "Content-Language": {
        "description": "The language of the texts.",
        "schema": {"type": "string", "examples": ["es"]},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the answer stored for an earlier identical request.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-Request-ID": {
        "description": "The request's id: the client's own `X-Request-ID` when it looks like "
        "one (8-64 letters, digits or dashes), else a new one. Quote it when reporting a problem.",
        "schema": {"type": "string"},
    },
}

REQUEST_HEADERS: dict[str, dict[str, Any]] = {
    "Accept-Language": {
        "description": "Languages wanted, most wanted first (`?lang=` wins over it).",
        "schema": {"type": "string", "examples": ["es, en;q=0.5"]},
    },
    "If-None-Match": {
        "description": "An `ETag` seen before: 304 without a body when it still matches.",
        "schema": {"type": "string", "examples": ['"5d41402abc4b2a76b9719d911017c592"']},
    },
}

#: Names of form bodies, which FastAPI calls `Body_<function>`.
BODY_NAMES = {"Body_login": "StaffLogin"}

UNREADABLE = (
    "The request is malformed: a body that is not UTF-8 JSON, or a required header missing."
)


def sent(
    status: int, *headers: str, description: str | None = None, model: type | None = None
) -> dict[int | str, dict[str, Any]]:
    """A `responses=` entry: the headers a success status is sent with (and its body)."""
    entry: dict[str, Any] = {"headers": {name: HEADERS[name] for name in headers}}
    if description:
        entry["description"] = description
    if model is not None:
        entry["model"] = model
    return {status: entry}


def header_parameters(*names: str) -> dict[str, Any]:
    """`openapi_extra=` for request headers a route reads itself (no validation step)."""
    return {
        "parameters": [
            {"name": name, "in": "header", "required": False} | REQUEST_HEADERS[name]
            for name in names
        ]
    }


def operation_id(route: APIRoute) -> str:
    """The route function's name in camelCase: `get_questionnaire` -> `getQuestionnaire`."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def openapi_document(app: FastAPI, intake_token_routes: frozenset[str]) -> dict[str, Any]:
    """The served document, made once per app."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                # Everything but liveness needs the database, so it may answer 503.
                _complete_operation(
                    operation, path in intake_token_routes, needs_database=path != "/healthz"
                )
        schemas = schema["components"]["schemas"]
        schemas.setdefault("Problem", Problem.model_json_schema(ref_template=REF))
        schemas.setdefault("FieldError", FieldError.model_json_schema(ref_template=REF))
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        _optional_defaults(schema)
        _named_parameter_enums(schema)
        app.openapi_schema = _rename_bodies(schema)
    return app.openapi_schema


def _complete_operation(
    operation: dict[str, Any], takes_intake_token: bool, *, needs_database: bool
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if needs_database:
        # Replaces a 503 a route declared itself, so each one names Retry-After.
        responses["503"] = unavailable_response({"schema": PROBLEM_REF})
    for code, response in responses.items():
        if code[0] in "45":
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = HEADERS["X-Request-ID"]
        if code in ("429", "503"):
            headers["Retry-After"] = HEADERS["Retry-After"]
    responses.setdefault(
        "400",
        {
            "description": UNREADABLE,
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
            "headers": {"X-Request-ID": HEADERS["X-Request-ID"]},
        },
    )
    parameters: list[dict[str, Any]] = operation.get("parameters", [])
    names = {(p["in"], p["name"].lower()) for p in parameters}
    if ("query", "lang") in names and ("header", "accept-language") not in names:
        parameters.append(
            {"name": "Accept-Language", "in": "header", "required": False}
            | REQUEST_HEADERS["Accept-Language"]
        )
    for parameter in parameters:
        if parameter.get("schema", {}).pop("x-attune-required", False):
            parameter["required"] = True
            parameter["schema"] = _without_null(parameter["schema"])
    if "security" in operation and not takes_intake_token:
        operation["security"] = [s for s in operation["security"] if "IntakeToken" not in s]


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`str | None` as a required header is just a string."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        required: dict[str, Any] = options[0] | rest
        return required
    return schema


def _optional_defaults(schema: dict[str, Any]) -> None:
    """Request-only schemas lose `default`, said in the description instead (see above)."""
    components = schema["components"]["schemas"]
    requests = _reachable(schema["paths"], components, "requestBody")
    responses = _reachable(schema["paths"], components, "responses")
    for name in requests - responses:
        for prop in components[name].get("properties", {}).values():
            if "default" in prop:
                default = prop.pop("default")
                shown = "null" if default is None else repr(default).replace("'", '"')
                shown = {"True": "true", "False": "false"}.get(shown, shown)
                prop["description"] = (
                    f"{prop.get('description', '').rstrip('.')}. Default: {shown}."
                )
                prop["description"] = prop["description"].removeprefix(". ")


def _named_parameter_enums(schema: dict[str, Any]) -> None:
    """A parameter whose enum is a named schema refers to it (FastAPI inlines it: `Period`)."""
    components = schema["components"]["schemas"]
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                inline = parameter.get("schema", {})
                named = components.get(inline.get("title", ""), {})
                if "enum" in inline and named.get("enum") == inline["enum"]:
                    ref = {"$ref": f"#/components/schemas/{inline['title']}"}
                    parameter["schema"] = ref | (
                        {"default": inline["default"]} if "default" in inline else {}
                    )


def _reachable(paths: dict[str, Any], components: dict[str, Any], part: str) -> set[str]:
    """The component schemas a part of the operations (`requestBody`, `responses`) refers to."""
    found: set[str] = set()
    pending = [op.get(part, {}) for ops in paths.values() for op in ops.values()]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    pending.append(components.get(name, {}))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _rename_bodies(schema: dict[str, Any]) -> dict[str, Any]:
    """`Body_login` -> `StaffLogin`: generated code reads the name."""
    components = schema["components"]["schemas"]
    for old, new in BODY_NAMES.items():
        if old in components:
            components[new] = components.pop(old) | {"title": new}
    prefix = "#/components/schemas/"
    renamed: dict[str, Any] = _replace_refs(
        schema, {prefix + old: prefix + new for old, new in BODY_NAMES.items()}
    )
    return renamed


def _replace_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: renames.get(v, v) if k == "$ref" else _replace_refs(v, renames)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_replace_refs(v, renames) for v in node]
    return node
