"""A client's results in the console: summary, trace, feedback, charts with tables, print."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.console.browsing import post_form, sign_in
from tests.console.seeding import clients_with_results, therapist


async def test_the_client_page_shows_results_charts_and_the_print_view(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user_id, _ = await therapist(app)
    [client_id] = await clients_with_results(app, user_id, 1)
    await sign_in(client, "sam@clinic.test")
    page = await client.get(f"/console/clients/{client_id}")
    assert page.status_code == 200
    html = page.text
    assert html.count('class="chart"') == 4  # one per scale of window-of-tolerance
    assert "Revved up (above the window): each result" in html
    assert "Flagged:" in html
    assert "Outside the window with little settling" in html
    assert "How it was scored (the rule trace)" in html
    assert "<details" in html
    assert "The feedback the client is shown" in html
    assert "version 1" in html
    async with app.state.sessionmaker() as session:
        reads = (await session.execute(select(AuditEvent.target))).scalars().all()
    assert reads == [client_id]

    printed = await client.get(f"/console/clients/{client_id}/print")
    assert printed.status_code == 200
    assert "Report: Client 000" in printed.text
    assert printed.text.count('class="chart"') == 4

    # Acknowledged from the client page: back to it, and no longer waiting.
    result_id = html.split('action="/console/results/')[1].split("/")[0]
    done = await post_form(
        client,
        f"/console/results/{result_id}/acknowledge",
        {"back": f"/console/clients/{client_id}"},
        from_page=f"/console/clients/{client_id}",
    )
    assert done.headers["location"] == f"/console/clients/{client_id}"
    assert "(seen " in (await client.get(f"/console/clients/{client_id}")).text
