"""Who may use the research endpoints: researchers of the organization, nobody else."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import new_respondent, new_staff
from tests.research.seeding import (
    LONELINESS,
    LONELY,
    NOT_LONELY,
    add_assessment,
    at,
    many_people,
    new_clinic,
    new_person,
)

K = 11  # the default research_min_cell

RESEARCH = [
    ("/v1/research/export", {"questionnaire": LONELINESS}),
    ("/v1/research/export", {"questionnaire": LONELINESS, "format": "jsonl"}),
    ("/v1/research/aggregates", {"questionnaire": LONELINESS}),
    ("/v1/research/codebook", {"questionnaire": LONELINESS}),
]


@pytest.mark.parametrize(("path", "params"), RESEARCH)
async def test_therapists_admins_and_respondents_get_no_research_data(
    app: FastAPI, client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    clinic = await new_clinic(app)
    await add_assessment(app, await new_person(app, clinic), at(2024, 1, 2))
    for headers in (clinic.therapist, clinic.admin):
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
    respondent = await client.get(path, params=params, headers=await new_respondent(client))
    assert respondent.status_code == 401  # a respondent's token is not a staff token
    anonymous = await client.get(path, params=params)
    assert anonymous.status_code == 401


async def test_a_researcher_of_another_organization_sees_none_of_its_rows(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, other = await new_clinic(app), await new_clinic(app)
    await many_people(app, clinic, K, answers=LONELY)
    await many_people(app, other, K + 1, answers=NOT_LONELY)
    outsider, _, _ = await new_staff(app, "researcher")
    query = {"questionnaire": LONELINESS}
    ours = await client.get("/v1/research/export", params=query, headers=clinic.researcher)
    rows = list(csv.DictReader(io.StringIO(ours.text)))
    assert [r["score_loneliness"] for r in rows] == ["7"] * K
    theirs = await client.get("/v1/research/export", params=query, headers=other.researcher)
    assert [r["score_loneliness"] for r in csv.DictReader(io.StringIO(theirs.text))] == ["4"] * (
        K + 1
    )
    nobody = await client.get("/v1/research/export", params=query, headers=outsider)
    assert nobody.status_code == 422  # an organization without data has fewer than k people
    assert nobody.json()["type"] == "urn:attune:problem:too-few-people"


async def test_the_audit_log_is_for_the_organizations_admins(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, other = await new_clinic(app), await new_clinic(app)
    await client.get(
        "/v1/research/codebook", params={"questionnaire": LONELINESS}, headers=clinic.researcher
    )
    for headers in (clinic.researcher, clinic.therapist):
        assert (await client.get("/v1/audit", headers=headers)).status_code == 403
    assert (await client.get("/v1/audit", headers=other.admin)).json()["items"] == []
    [event] = (await client.get("/v1/audit", headers=clinic.admin)).json()["items"]
    assert event["action"] == "research.codebook"


async def test_the_audit_log_pages_newest_first(app: FastAPI, client: httpx.AsyncClient) -> None:
    clinic = await new_clinic(app)
    for version in ("json", "csv", "json"):
        params = {"questionnaire": LONELINESS, "format": version}
        await client.get("/v1/research/codebook", params=params, headers=clinic.researcher)
    first = (await client.get("/v1/audit", params={"limit": 2}, headers=clinic.admin)).json()
    assert [e["details"]["format"] for e in first["items"]] == ["json", "csv"]
    rest = await client.get(
        "/v1/audit", params={"limit": 2, "cursor": first["next_cursor"]}, headers=clinic.admin
    )
    assert [e["details"]["format"] for e in rest.json()["items"]] == ["json"]
    assert rest.json()["next_cursor"] is None
    bad = await client.get("/v1/audit", params={"cursor": "nonsense"}, headers=clinic.admin)
    assert bad.status_code == 422
