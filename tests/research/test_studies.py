"""Studies: designation by admins only, audited; finer time only for a designated study."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.research.seeding import (
    LONELINESS,
    LONELY,
    add_assessment,
    at,
    crowd,
    new_clinic,
    new_person,
    seeded_rows,
)


async def designate(
    client: httpx.AsyncClient, headers: dict[str, str], study_id: str, **body: Any
) -> httpx.Response:
    """PUT a study's designation."""
    return await client.put(
        f"/v1/research/studies/{study_id}/designation", json=body, headers=headers
    )


async def rows(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> list[dict[str, str]]:
    """A CSV export's rows."""
    query = {"questionnaire": LONELINESS} | params
    response = await client.get("/v1/research/export", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize(
    ("finer_time", "column", "values"),
    [
        ("week", "iso_week", ["2024-W10", "2024-W12"]),
        ("month", "month", ["2024-03", "2024-03"]),
        ("days_since_first", "days_since_first", ["0", "14"]),
    ],
)
async def test_finer_time_only_once_an_admin_designates_the_study(
    app: FastAPI, client: httpx.AsyncClient, finer_time: str, column: str, values: list[str]
) -> None:
    clinic = await new_clinic(app)
    await crowd(app, clinic)
    person = await new_person(app, clinic)
    await add_assessment(app, person, at(2024, 3, 5), LONELY)
    await add_assessment(app, person, at(2024, 3, 19, 23), LONELY)
    made = await client.post(
        "/v1/research/studies", json={"name": "cohort"}, headers=clinic.researcher
    )
    study = made.json()
    assert study["designation"] == "none"
    assert column not in (await rows(client, clinic.researcher, study="cohort"))[0]
    denied = await designate(
        client,
        clinic.researcher,
        study["id"],
        designation="limited_data_set",
        finer_time=finer_time,
    )
    assert denied.status_code == 403
    done = await designate(
        client, clinic.admin, study["id"], designation="limited_data_set", finer_time=finer_time
    )
    assert done.status_code == 200, done.text
    assert done.json()["finer_time"] == finer_time
    designated = await rows(client, clinic.researcher, study="cohort")
    assert [r[column] for r in seeded_rows(designated)] == values
    assert column not in (await rows(client, clinic.researcher))[0]  # not without the study
    audit = await client.get(
        "/v1/audit", params={"action": "study.designate"}, headers=clinic.admin
    )
    [event] = audit.json()["items"]
    assert event["target"] == study["id"]
    assert event["details"]["after"] == {
        "designation": "limited_data_set",
        "finer_time": finer_time,
    }


async def test_a_designated_export_says_so_in_its_headers_and_codebook(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await crowd(app, clinic)
    made = await client.post("/v1/research/studies", json={"name": "x"}, headers=clinic.admin)
    await designate(
        client,
        clinic.admin,
        made.json()["id"],
        designation="expert_determination",
        finer_time="month",
    )
    query = {"questionnaire": LONELINESS, "study": "x"}
    response = await client.get("/v1/research/export", params=query, headers=clinic.researcher)
    assert response.headers["attune-designation"] == "expert_determination"
    assert response.headers["attune-finer-time"] == "month"
    book = await client.get("/v1/research/codebook", params=query, headers=clinic.researcher)
    assert book.json()["de_identification"]["designation"] == "expert_determination"
    assert "whole years or whole months" in book.json()["de_identification"]["filters"]
    assert "month" in [c["name"] for c in book.json()["columns"]]


async def test_no_finer_time_without_a_designation_and_studies_stay_in_their_organization(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, other = await new_clinic(app), await new_clinic(app)
    made = await client.post("/v1/research/studies", json={"name": "x"}, headers=clinic.researcher)
    study_id = made.json()["id"]
    refused = await designate(client, clinic.admin, study_id, designation="none", finer_time="week")
    assert refused.status_code == 422
    assert (
        await designate(client, other.admin, study_id, designation="limited_data_set")
    ).status_code == 404
    again = await client.post("/v1/research/studies", json={"name": "x"}, headers=clinic.admin)
    assert again.status_code == 409
    theirs = await client.post("/v1/research/studies", json={"name": "x"}, headers=other.researcher)
    assert theirs.status_code == 201  # names are per organization
    listed = await client.get("/v1/research/studies", headers=other.researcher)
    assert [s["id"] for s in listed.json()] == [theirs.json()["id"]]
    query = {"questionnaire": LONELINESS, "study": "nope"}
    missing = await client.get("/v1/research/export", params=query, headers=clinic.researcher)
    assert missing.status_code == 404
    therapist = await client.post(
        "/v1/research/studies", json={"name": "t"}, headers=clinic.therapist
    )
    assert therapist.status_code == 403
