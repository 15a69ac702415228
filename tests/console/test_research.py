"""A researcher's console pages: export download, codebook, aggregates, studies; all audited."""

from __future__ import annotations

import csv
import io

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.accounts.staff import new_user
from tests.conftest import count
from tests.console.browsing import post_form, sign_in
from tests.research.seeding import add_assessment, at, new_clinic, new_person

QUERY = "questionnaire=three-item-loneliness"


async def test_a_researcher_downloads_an_export_and_reads_codebook_and_aggregates(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    clinic = await new_clinic(app)
    await new_user(app, "ria@clinic.test", "researcher", clinic.organization_id)
    # As many people as the population floor asks (k = ATTUNE_RESEARCH_MIN_CELL).
    people = app.state.settings.research_min_cell
    for n in range(people):
        person = await new_person(app, clinic)
        await add_assessment(app, person, at(2025, 1 + n % 2, 3), clinic=clinic)
    await sign_in(client, "ria@clinic.test")
    home = await client.get("/console")
    assert home.status_code == 303
    assert home.headers["location"] == "/console/research"
    assert "Download the export" in (await client.get("/console/research")).text

    exported = await client.get(f"/console/research/export?{QUERY}&format=csv&items=yes")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == people
    assert "item_left_out" in rows[0]
    assert not [m for m in clinic.markers | clinic.raw_ids if m in exported.text]

    book = await client.get(f"/console/research/codebook?{QUERY}")
    assert book.status_code == 200
    assert "<code>person_key</code>" in book.text
    book_csv = await client.get(f"/console/research/codebook?{QUERY}&download=csv")
    assert book_csv.headers["content-type"].startswith("text/csv")
    assert "person_key" in book_csv.text

    aggregates = await client.get(f"/console/research/aggregates?{QUERY}&period=year")
    assert aggregates.status_code == 200
    # One row for the year: its 11 people, each with one assessment.
    assert '<th scope="row">2025</th>\n    <td>11</td><td>11</td>' in aggregates.text

    async with app.state.sessionmaker() as session:
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert sorted(actions) == [
        "research.aggregates",
        "research.codebook",
        "research.codebook",
        "research.export",
    ]


async def test_research_forms_with_mistakes_say_so_by_the_field(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    clinic = await new_clinic(app)
    await new_user(app, "ria@clinic.test", "researcher", clinic.organization_id)
    await sign_in(client, "ria@clinic.test")
    backwards = await client.get(f"/console/research/export?{QUERY}&start=2025&end=2024")
    assert backwards.status_code == 422
    assert 'href="#field-end"' in backwards.text
    assert 'value="2025"' in backwards.text
    # A day is finer than the rows show: refused by the same rule as the API's, by the field.
    daily = await client.get(f"/console/research/export?{QUERY}&start=2025-03-01")
    assert daily.status_code == 422
    assert 'href="#field-start"' in daily.text
    unknown = await client.get(f"/console/research/export?{QUERY}&study=Nope")
    assert unknown.status_code == 422
    assert "no such study" in unknown.text

    made = await post_form(
        client, "/console/research/studies", {"name": "Pilot"}, from_page="/console/research"
    )
    assert made.status_code == 303
    again = await post_form(
        client, "/console/research/studies", {"name": "Pilot"}, from_page="/console/research"
    )
    assert again.status_code == 422
    assert 'href="#field-name"' in again.text
    assert await count(app, "studies") == 1


async def test_a_therapist_cannot_export(client: httpx.AsyncClient, app: FastAPI) -> None:
    await new_user(app, "sam@clinic.test", "therapist")
    await sign_in(client, "sam@clinic.test")
    response = await client.get(f"/console/research/export?{QUERY}")
    assert response.status_code == 403
