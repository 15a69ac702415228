"""The application factory: `create_app()` wires settings, database, content and routes."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.exc import IntegrityError

from app.accounts.pages import router as reset_pages_router
from app.accounts.passwords import HashPool, use_pool
from app.accounts.router import router as accounts_router
from app.assessments.router import router as assessments_router
from app.audit.router import router as audit_router
from app.clinic.router import router as clinic_router
from app.clinic.targets import webhook_client
from app.config import Settings, get_settings
from app.console.router import router as console_router
from app.contract import openapi_document, operation_id
from app.db import create_autocommit_sessionmaker, create_engine, create_sessionmaker
from app.docs import install_docs
from app.edge import Edge
from app.handlers import install_error_handlers
from app.home import router as home_router
from app.intake.router import router as intake_router
from app.mail.router import router as mail_router
from app.metrics import watch_pool
from app.ops import router as ops_router
from app.outbox.channels.email import EmailChannel
from app.outbox.channels.webhook import WebhookChannel
from app.outbox.worker import start_worker, stop_worker
from app.questionnaires.registry import Registry
from app.questionnaires.router import router as questionnaires_router
from app.questionnaires.service import record_definitions
from app.ratelimit import FailureLimiter
from app.research.readers import ExportReaders
from app.research.router import router as research_router
from app.respondents.dependencies import INTAKE_TOKEN_ROUTES
from app.respondents.router import router as respondents_router
from app.schedules.router import router as schedules_router
from app.schedules.tick import start_ticker, stop_ticker

logger = logging.getLogger("attune")

DESCRIPTION = """
Nervous-system self-checks: window-of-tolerance and connection questionnaires, scored by
plain rules that the API publishes with every questionnaire, with kind, non-diagnostic
feedback tied to the concepts behind each score.

* Authenticate with `Authorization: Bearer <token>`: a respondent's token (`atr_…`, from
  `POST /v1/respondents`), a staff token (`ats_…`, from `POST /v1/auth/token`) or an intake
  link's token (`ati_…`); each operation lists the kinds it accepts.
* Errors are `application/problem+json` (RFC 9457); a 422 names each offending field.
* Submits are safe to retry: `Idempotency-Key` on submit, a client id on `/v1/submissions`.
"""


#: Allocations between young-generation collections: ten times Python's default. Each
#: in-flight request holds a few thousand objects; at 700, collections ran every request or
#: two and promoted in-flight objects, which then filled the old generations (issue 15).
YOUNG_GENERATION_THRESHOLD = 7_000


@contextmanager
def long_lived_collector() -> Iterator[None]:
    """The garbage collector tuned for serving, and restored afterwards.

    Everything made at startup (modules, schemas, routes, definitions) lives as long as the
    app, so it is frozen out of the collector's sight: a full collection scanned all of it,
    100+ ms pauses every second under load, and now scans what requests made since. The young
    generation is collected less often (`YOUNG_GENERATION_THRESHOLD`). On shutdown both are
    undone, so an app started and stopped inside a longer process (the tests) can be freed.
    """
    gc.freeze()
    previous = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new application; nothing connects until its lifespan starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = Registry.load(
            support_file=settings.support_file,
            enabled=settings.questionnaires_enabled,
            support_region=settings.support_region,
        )
        engine = create_engine(settings)
        app.state.settings = settings
        app.state.registry = registry
        app.state.rendered_views = {}
        app.state.engine = engine
        watch_pool(engine)
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.autocommit_sessionmaker = create_autocommit_sessionmaker(engine)
        app.state.export_readers = ExportReaders(settings)
        app.state.limiter = FailureLimiter(settings.rate_limit_storage)
        use_pool(HashPool(settings.password_hash_workers, settings.password_hash_queue))
        worker = ticker = None
        http = webhook_client(settings)
        app.state.outbox_channels = {
            "webhook": WebhookChannel(app.state.sessionmaker, http, settings),
            "email": EmailChannel(settings),
        }
        try:
            await _record_definitions(app)
            worker = start_worker(app.state.sessionmaker, app.state.outbox_channels, settings)
            ticker = start_ticker(app.state.sessionmaker, settings)
            with long_lived_collector():
                yield
        finally:
            await stop_ticker(ticker)
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
        generate_unique_id_function=operation_id,
        docs_url=None,  # served offline by app/docs.py
        redoc_url=None,
    )
    install_error_handlers(app)
    for router in (
        questionnaires_router,
        respondents_router,
        assessments_router,
        accounts_router,
        reset_pages_router,
        clinic_router,
        schedules_router,
        intake_router,
        mail_router,
        research_router,
        audit_router,
        ops_router,
        home_router,
        console_router,
    ):
        app.include_router(router)
    install_docs(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
                "Accept-Language",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "Content-Language",
                "Idempotent-Replayed",
                "Retry-After",
                "X-Request-ID",
            ],
        )
    # Outermost of ours, so the request id and the access line cover every answer, a 413
    # included: request id, access line and metrics, security headers, the body limit.
    app.add_middleware(Edge, max_body_bytes=settings.max_body_bytes, hsts=settings.hsts)
    app.openapi = lambda: openapi_document(app, INTAKE_TOKEN_ROUTES)  # type: ignore[method-assign]
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
