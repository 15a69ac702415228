"""The console dashboard at a real practice's size: 300 clients, 3,000 results.

Usage (from the repository root):
  .venv/bin/python bench/dashboard.py                # SQLite in a temporary file
  .venv/bin/python bench/dashboard.py --postgres postgresql+asyncpg://postgres@127.0.0.1/test

In process, through the ASGI app (no network): seeds one therapist with N clients, each with
R scored results (half of them flagged, so the attention list is full) and a pending link,
signs in through the console's form, then times GET /console several times and counts the
SQL statements of one request. Prints the median and the worst time, the CPU time, the
statements, the page size and the load. A bench figure, not a test: a busy machine moves it.
BENCH_PROFILE=1 prints a cProfile of one request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import event, insert
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.accounts import service as accounts
from app.assessments.models import SUBMITTED, Assessment, Result
from app.clinic import invitations
from app.clinic import service as clinic
from app.config import Settings
from app.db import utcnow
from app.main import create_app
from app.migrations import upgrade
from app.scoring.engine import score
from tests.clinic.conftest import CALM, FLAGGING, answers
from tests.console.browsing import sign_in

PASSWORD = "bench password 123"  # noqa: S105 (a bench user in a throwaway database)
PROFILE = os.environ.get("BENCH_PROFILE") == "1"


async def seed(app: object, clients: int, results: int) -> None:
    """One therapist, `clients` clients with `results` results each and a live link."""
    registry = app.state.registry  # type: ignore[attr-defined]
    definition = registry.get("window-of-tolerance")
    digest = registry.hash(definition)
    scored = [
        score(definition, answers(definition, high), definition_hash=digest)
        for high in (FLAGGING, CALM)
    ]
    async with app.state.sessionmaker.begin() as session:  # type: ignore[attr-defined]
        organization = await accounts.create_organization(session, "Bench clinic")
        user = await accounts.create_user(
            session, organization.id, "bench@clinic.test", PASSWORD, "therapist"
        )
        chosen = invitations.resolve_questionnaires(registry, ["connection"])
        assessments, rows = [], []
        start = utcnow()
        for number in range(clients):
            client = await clinic.create_client(session, user, f"Client {number:04}", None, None)
            await invitations.create_invitation(
                session, user, client, chosen, expires_in_days=7, show_feedback=True
            )
            for n in range(results):
                result = scored[n % 2]
                assessment_id = uuid.uuid4()
                when = start - timedelta(days=n)
                assessments.append(
                    {
                        "id": assessment_id,
                        "respondent_id": client.respondent_id,
                        "questionnaire_id": definition.id,
                        "questionnaire_version": definition.version,
                        "definition_hash": digest,
                        "status": SUBMITTED,
                        "source": "intake",
                        "answers": {},
                        "revision": 1,
                        "answered_at": when,
                        "submitted_at": when,
                        "created_at": when,
                        "updated_at": when,
                    }
                )
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "assessment_id": assessment_id,
                        "definition_hash": digest,
                        "engine_version": result.engine_version,
                        "score": result.model_dump(mode="json"),
                        "profile": result.profile,
                        "flagged": bool(result.flags),
                        "created_at": when,
                    }
                )
        await session.execute(insert(Assessment), assessments)
        await session.execute(insert(Result), rows)


async def run(url: str, clients: int, results: int, repeats: int) -> None:
    settings = Settings(
        database_url=url, environment="test", secret_key="b" * 40, outbox_poll_seconds=0
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await seed(app, clients, results)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
            assert (await sign_in(http, "bench@clinic.test", PASSWORD)).status_code == 303
            seen: list[str] = []
            engine = app.state.engine.sync_engine
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            page = await http.get("/console")
            event.remove(engine, "before_cursor_execute", listener)
            assert page.status_code == 200, page.text[:300]
            if PROFILE:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.enable()
                await http.get("/console")
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            times, cpu = [], []
            for _ in range(repeats):
                began, began_cpu = time.perf_counter(), time.process_time()
                response = await http.get("/console")
                times.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
                assert response.status_code == 200
    print(f"database: {make_url(url).get_backend_name()}")
    print(f"clients: {clients}, results: {clients * results}, page: {len(page.content):,} bytes")
    print(f"statements per request: {len(seen)}")
    print(
        f"GET /console: median {statistics.median(times) * 1000:.0f} ms, "
        f"worst {max(times) * 1000:.0f} ms over {repeats} requests; CPU median "
        f"{statistics.median(cpu) * 1000:.0f} ms (less disturbed by a busy machine)"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--results", type=int, default=10, help="per client")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database is migrated here")
    options = parser.parse_args()
    url = options.postgres or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    asyncio.run(run(url, options.clients, options.results, options.repeats))


if __name__ == "__main__":
    main()
