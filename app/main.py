"""The application factory: `create_app()` wires settings, database, content and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError

from app.accounts.pages import router as reset_pages_router
from app.accounts.passwords import HashPool, use_pool
from app.accounts.router import router as accounts_router
from app.assessments.router import router as assessments_router
from app.audit.router import router as audit_router
from app.clinic.router import router as clinic_router
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker
from app.errors import PROBLEM_JSON
from app.handlers import install_error_handlers
from app.intake.router import router as intake_router
from app.logs import RequestLog
from app.mail.router import router as mail_router
from app.metrics import watch_pool
from app.middleware import BodySizeLimit
from app.ops import router as ops_router
from app.outbox.channels.email import EmailChannel
from app.outbox.channels.webhook import WebhookChannel
from app.outbox.worker import start_worker, stop_worker
from app.problems import FieldError, Problem, unavailable_response
from app.questionnaires.registry import Registry
from app.questionnaires.router import router as questionnaires_router
from app.questionnaires.service import record_definitions
from app.ratelimit import FailureLimiter
from app.research.readers import ExportReaders
from app.research.router import router as research_router
from app.respondents.router import router as respondents_router
from app.security_headers import SecurityHeaders

logger = logging.getLogger("attune")
REF = "#/components/schemas/{model}"
UNREADABLE_BODY = "The body cannot be read (it is not UTF-8 text)."

DESCRIPTION = """
Nervous-system self-checks: window-of-tolerance and connection questionnaires, scored by
plain rules that the API publishes with every questionnaire, with kind, non-diagnostic
feedback tied to the concepts behind each score.

* Authenticate with `Authorization: Bearer <token>` (from `POST /v1/respondents`).
* Errors are `application/problem+json` (RFC 9457); a 422 names each offending field.
* Submits are safe to retry: `Idempotency-Key` on submit, a client id on `/v1/submissions`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new application; nothing connects until its lifespan starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = Registry.load(support_file=settings.support_file)
        engine = create_engine(settings)
        app.state.settings = settings
        app.state.registry = registry
        app.state.rendered_views = {}
        app.state.engine = engine
        watch_pool(engine)
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.export_readers = ExportReaders(settings)
        app.state.limiter = FailureLimiter(settings.rate_limit_storage)
        use_pool(HashPool(settings.password_hash_workers, settings.password_hash_queue))
        worker = None
        http = httpx.AsyncClient(follow_redirects=False)
        app.state.outbox_channels = {
            "webhook": WebhookChannel(app.state.sessionmaker, http, settings),
            "email": EmailChannel(settings),
        }
        try:
            await _record_definitions(app)
            worker = start_worker(app.state.sessionmaker, app.state.outbox_channels, settings)
            yield
        finally:
            await stop_worker(worker)
            await http.aclose()
            app.state.limiter.close()
            await app.state.export_readers.dispose()
            await engine.dispose()

    app = FastAPI(
        title="Attune API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    install_error_handlers(app)
    for router in (
        questionnaires_router,
        respondents_router,
        assessments_router,
        accounts_router,
        reset_pages_router,
        clinic_router,
        intake_router,
        mail_router,
        research_router,
        audit_router,
        ops_router,
    ):
        app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
            expose_headers=[
                "ETag",
                "Location",
                "Content-Language",
                "Idempotent-Replayed",
                "X-Request-ID",
            ],
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, hsts=settings.hsts)
    # Outermost, so the request id and the access line cover every answer, a 413 included.
    app.add_middleware(RequestLog)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


async def _record_definitions(app: FastAPI) -> None:
    """Make sure every loaded definition is in the table results point to.

    Several workers may start at once; the one that loses the insert race finds the rows
    the other one wrote on its second try.
    """
    for attempt in (1, 2):
        try:
            async with app.state.sessionmaker.begin() as session:
                added = await record_definitions(session, app.state.registry)
            if added:
                logger.info("recorded definitions: %s", ", ".join(added))
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _operation_id(route: APIRoute) -> str:
    """Operation ids are the route functions' names: `get_questionnaire`, `submit_assessment`."""
    return route.name


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, with errors declared as problem+json only."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for route, path in schema["paths"].items():
            for operation in path.values():
                for code, response in operation.get("responses", {}).items():
                    if code[0] in "45" and "content" in response:
                        response["content"] = {PROBLEM_JSON: problem}
                if route != "/healthz":  # everything else needs the database
                    operation["responses"].setdefault("503", unavailable_response(problem))
                if "requestBody" in operation:
                    # FastAPI refuses a body it cannot decode (not UTF-8) with a 400 itself.
                    operation["responses"].setdefault(
                        "400",
                        {"description": UNREADABLE_BODY, "content": {PROBLEM_JSON: problem}},
                    )
        schemas = schema["components"]["schemas"]
        schemas.setdefault("Problem", Problem.model_json_schema(ref_template=REF))
        schemas.setdefault("FieldError", FieldError.model_json_schema(ref_template=REF))
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema
