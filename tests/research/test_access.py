"""Who may use the research endpoints: researchers of the organization, nobody else."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import new_respondent, new_staff
from tests.research.seeding import LONELINESS, add_assessment, at, new_clinic, new_person

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
    clinic = await new_clinic(app)
    await add_assessment(app, await new_person(app, clinic), at(2024, 1, 2))
    outsider, _, _ = await new_staff(app, "researcher")
    ours = await client.get(
        "/v1/research/export", params={"questionnaire": LONELINESS}, headers=clinic.researcher
    )
    theirs = await client.get(
        "/v1/research/export", params={"questionnaire": LONELINESS}, headers=outsider
    )
    assert len(list(csv.DictReader(io.StringIO(ours.text)))) == 1
    assert theirs.status_code == 200
    assert list(csv.DictReader(io.StringIO(theirs.text))) == []


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
