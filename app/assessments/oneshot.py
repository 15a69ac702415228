"""`SubmissionRoute`: the common case of `POST /v1/submissions` without FastAPI's machinery.

A new one-shot submission by a respondent's token is the API's hot write. Through FastAPI it
solved eight dependencies (session, registry, two bearer schemes, the token, the respondent,
the wanted languages and their `lang` parameter), validated the body through the field
machinery, and ran the token's own query before the write. This route class answers the
common case directly: the body validated once with the route's model, the token checked
inside the write itself (`store_offline_by_token`) on a bare connection rather than an ORM
session (on PostgreSQL a single statement, committed on its own: no BEGIN or COMMIT round
trip), the answer's bytes serialized once by the route's own response field, exactly as
FastAPI would have. The route is still declared as
usual, so the OpenAPI document is the same.

Anything else goes the full way, from the start, with nothing written: a query string
(`?lang=`), a body that cannot be read (over the limit: the edge has answered 413) or is not
JSON or not valid, a token that is not a respondent's bearer token, an unknown or revoked
token, a client id already stored (a retry: its replay or 409), and any error the service
raises. So every refusal, replay and problem+json answer is the
one the full route gives, in its order of checks (401 before 422).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.assessments import service
from app.assessments.presenters import present_assessment, present_result
from app.assessments.schemas import SubmissionCreate, SubmissionRead
from app.errors import AppError
from app.i18n import parse_accept_language
from app.intake.scope import is_intake_token
from app.metrics import observe_scored
from app.questionnaires.registry import Registry
from app.security import hash_token


class SubmissionRoute(APIRoute):
    """The route of `POST /v1/submissions`: see the module docstring."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        full = super().get_route_handler()

        async def handler(request: Request) -> Response:
            answer = await self._direct(request)
            return answer if answer is not None else await full(request)

        return handler

    async def _direct(self, request: Request) -> Response | None:
        """The 201 of a new submission, or None when the full route must answer."""
        if (
            request.scope.get("query_string")
            or request.headers.get("content-type") != "application/json"
        ):
            return None
        token = _bearer(request.headers.get("authorization"))
        if token is None:
            return None
        try:
            raw = await request.body()
        except Exception:  # the full route reads it again, and answers as it always did
            # A body cut off (over the limit: the edge has answered 413) or a client gone.
            return None
        try:
            body = SubmissionCreate.model_validate(json.loads(raw))
        except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError too
            return None
        registry: Registry = request.app.state.registry
        try:
            definition = service.resolve_definition(registry, body.questionnaire_id, body.version)
            prepared = service.prepare_offline(
                registry, body.id, definition, body.answers, body.answered_at
            )
        except AppError:
            return None
        submitted = prepared.submitted
        # The answer is made before the write, so the write is the last step before sending.
        wanted = parse_accept_language(request.headers.get("accept-language"))
        read = SubmissionRead(
            client_id=body.id,
            assessment=present_assessment(submitted.assessment, definition),
            result=present_result(
                submitted.assessment,
                submitted.result,
                definition,
                registry,
                wanted,
                scored=submitted.scored,
            ),
        )
        content = self._serialize(read)
        engine: AsyncEngine = request.app.state.engine
        # A bare connection, not an ORM session: the transaction is the submission's rows
        # (on PostgreSQL one statement, committed on its own), and a session's bookkeeping
        # (transaction objects, snapshots, events) would cost more than the statement.
        async with engine.connect() as connection:
            if not await service.store_offline_by_token(connection, hash_token(token), prepared):
                await connection.rollback()
                return None
            # Committed before the answer is sent, as the request session does (app.db).
            await connection.commit()
        observe_scored(definition.id, submitted.assessment.source)
        response = Response(content, status_code=201, media_type="application/json")
        location = f"/v1/assessments/{submitted.assessment.id}"
        response.headers.raw.append((b"location", location.encode("latin-1")))
        return response

    def _serialize(self, read: SubmissionRead) -> bytes:
        """The answer's bytes as FastAPI makes them (its fast path: the field's `dump_json`)."""
        field = self.response_field
        assert field is not None  # response_model is declared on the route
        content: bytes = field.serialize_json(
            read,
            include=self.response_model_include,
            exclude=self.response_model_exclude,
            by_alias=self.response_model_by_alias,
            exclude_unset=self.response_model_exclude_unset,
            exclude_defaults=self.response_model_exclude_defaults,
            exclude_none=self.response_model_exclude_none,
        )
        return content


def _bearer(authorization: str | None) -> str | None:
    """A respondent's token as `HTTPBearer` reads it; None for anything else (intake too)."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not credentials or scheme.lower() != "bearer" or is_intake_token(credentials):
        return None
    return credentials
