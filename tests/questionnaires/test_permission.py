"""A questionnaire whose licence needs permission is off until the operator enables it.

De Jong Gierveld's manual grants the scale for scientific survey research, not for feedback to
the public (`requires_permission: true` in 1.1.0). While it is off it is not listed, served,
started or invitable; stored results still show, export and rescore.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.questionnaires.registry import NotOffered, Registry
from app.rescore import rescore_all
from tests.clinic.conftest import add_client
from tests.research.seeding import add_assessment, new_clinic, new_person

DE_JONG = "de-jong-gierveld-6"
#: emotional 3 (yes, yes, yes), social 3 (no, no, no): total 6, severely lonely.
ALL_LONELY = {
    "emptiness": 1,
    "miss-people-around": 1,
    "feel-rejected": 1,
    "rely-on": 3,
    "trust-completely": 3,
    "feel-close-to": 3,
}


@pytest.fixture
async def enabled_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The same database, served by an operator who enabled De Jong Gierveld."""
    application = create_app(settings.model_copy(update={"questionnaires_enabled": [DE_JONG]}))
    async with application.router.lifespan_context(application):
        yield application


def test_only_the_de_jong_gierveld_scale_needs_permission() -> None:
    registry = Registry.load()
    needing = [d.id for d in registry.latest() if registry.requires_permission(d.id)]
    assert needing == [DE_JONG]
    assert registry.get(DE_JONG).requires_permission
    assert not registry.is_offered(DE_JONG)
    with pytest.raises(NotOffered, match="not offered here"):
        registry.offered(DE_JONG)
    # Every version is covered, 1.0.0 too, although only 1.1.0 says so.
    with pytest.raises(NotOffered):
        registry.offered(DE_JONG, "1.0.0")
    assert registry.get(DE_JONG, "1.0.0").version == "1.0.0"
    assert Registry.load(enabled=[DE_JONG]).offered(DE_JONG).version == "1.1.0"


def test_the_licence_quotes_the_manual_and_says_where_to_ask() -> None:
    licence = Registry.load().get(DE_JONG).license
    assert '"The scale is available for scientific research programs' in licence
    assert "The scale may be used in survey research" in licence
    assert "Theo.van.Tilburg at vu.nl" in licence
    assert "manual_loneliness_scale_1999.html" in licence


async def test_off_by_default_nowhere_to_be_had(
    client: httpx.AsyncClient, app: FastAPI, auth: dict[str, str]
) -> None:
    listed = (await client.get("/v1/questionnaires")).json()
    assert DE_JONG not in [q["id"] for q in listed]
    assert "three-item-loneliness" in [q["id"] for q in listed]
    for version in ("", "?version=1.0.0", "?version=1.1.0"):
        response = await client.get(f"/v1/questionnaires/{DE_JONG}{version}")
        assert response.status_code == 404, version
        assert "not offered here" in response.json()["detail"]
    started = await client.post("/v1/assessments", json={"questionnaire_id": DE_JONG}, headers=auth)
    assert started.status_code == 422
    assert started.json()["errors"][0]["pointer"] == "#/questionnaire_id"
    one_shot = await client.post(
        "/v1/submissions",
        json={
            "id": str(uuid.uuid4()),
            "questionnaire_id": DE_JONG,
            "answers": ALL_LONELY,
            "answered_at": "2026-11-30T10:00:00Z",
        },
        headers=auth,
    )
    assert one_shot.status_code == 422, one_shot.text
    clinic = await new_clinic(app)
    patient = await add_client(client, clinic.therapist)
    invited = await client.post(
        f"/v1/clients/{patient['id']}/invitations",
        json={"questionnaires": ["connection", DE_JONG]},
        headers=clinic.therapist,
    )
    assert invited.status_code == 422
    assert invited.json()["errors"][0]["pointer"] == "#/questionnaires/1"


async def test_enabled_by_the_operator_it_is_offered(
    enabled_app: FastAPI, auth: dict[str, str]
) -> None:
    transport = httpx.ASGITransport(app=enabled_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://attune.test") as http:
        listed = (await http.get("/v1/questionnaires")).json()
        assert DE_JONG in [q["id"] for q in listed]
        served = await http.get(f"/v1/questionnaires/{DE_JONG}")
        assert served.status_code == 200
        assert served.json()["version"] == "1.1.0"
        # The manual's missing rule is published with the scale, as the engine applies it.
        total = next(s for s in served.json()["scales"] if s["id"] == "total")
        assert (total["max_missing"], total["prorate"]) == (1, False)


async def test_stored_results_still_show_export_and_rescore(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    clinic = await new_clinic(app)
    # Enough people for the export's population floor (k = ATTUNE_RESEARCH_MIN_CELL).
    for _ in range(settings.research_min_cell):
        person = await new_person(app, clinic)
        await add_assessment(
            app, person, datetime(2026, 3, 2, tzinfo=UTC), ALL_LONELY, questionnaire=DE_JONG
        )
    exported = await client.get(
        "/v1/research/export",
        params={"questionnaire": DE_JONG, "format": "jsonl"},
        headers=clinic.researcher,
    )
    assert exported.status_code == 200, exported.text
    rows = [line for line in exported.text.splitlines() if line.strip()]
    assert len(rows) == settings.research_min_cell
    assert all('"score_total": 6, "band_total": "severely-lonely"' in row for row in rows)
    codebook = await client.get(
        "/v1/research/codebook", params={"questionnaire": DE_JONG}, headers=clinic.researcher
    )
    assert codebook.status_code == 200
    book = codebook.json()
    # A researcher running the manual's syntax learns how our codes relate to its own.
    assert "1 = no, 2 = more or less, 3 = yes" in book["coding_note"]
    total = next(c for c in book["columns"] if c["name"] == "score_total")
    assert "at most 1 item(s) missing, not prorated" in total["scoring"]
    report = await rescore_all(settings)
    assert report.differences == []
    assert report.checked == settings.research_min_cell
