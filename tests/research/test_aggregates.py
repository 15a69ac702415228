"""GET /v1/research/aggregates: counts, means and bands per period, small cells suppressed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.research.aggregates import suppressed_cells
from tests.research.seeding import (
    LONELINESS,
    LONELY,
    NOT_LONELY,
    Clinic,
    add_assessment,
    at,
    new_clinic,
    new_person,
)

K = 11  # the default research_min_cell
UNSCORABLE = {"lack-companionship": 1, "left-out": 1}  # every item is needed: insufficient


async def people(app: FastAPI, clinic: Clinic, n: int, answers: dict[str, int], day: int) -> None:
    """n consenting people, each with one assessment in March 2024."""
    for _ in range(n):
        await add_assessment(app, await new_person(app, clinic), at(2024, 3, day), answers)


async def aggregates(client: httpx.AsyncClient, clinic: Clinic, **params: str) -> dict[str, Any]:
    """The researcher's aggregates of the loneliness scale."""
    query = {"questionnaire": LONELINESS} | params
    response = await client.get("/v1/research/aggregates", params=query, headers=clinic.researcher)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_period_with_fewer_than_k_people_is_suppressed_whole(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await people(app, clinic, K - 1, LONELY, 5)
    [period] = (await aggregates(client, clinic))["periods"]
    assert period == {
        "period": "2024-03",
        "suppressed": True,
        "people": None,
        "assessments": None,
        "scales": [],
    }


async def test_a_lone_small_band_is_hidden_with_its_complement(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await people(app, clinic, K + 1, NOT_LONELY, 5)
    await people(app, clinic, K + 2, UNSCORABLE, 5)
    await people(app, clinic, 3, LONELY, 6)  # 3 = 27 - 12 - 13 without a complement
    [period] = (await aggregates(client, clinic))["periods"]
    assert (period["people"], period["assessments"]) == (2 * K + 6, 2 * K + 6)
    [scale] = period["scales"]
    assert scale["mean"] == round((4 * (K + 1) + 7 * 3) / (K + 4), 2)  # over scored ones only
    bands = {b["band"]: b for b in scale["bands"]}
    assert bands["higher"] == {"band": "higher", "assessments": None, "suppressed": True}
    assert bands["lower"] == {"band": "lower", "assessments": None, "suppressed": True}
    assert bands["insufficient"] == {
        "band": "insufficient",
        "assessments": K + 2,
        "suppressed": False,
    }


async def test_small_cells_that_sum_to_a_small_number_hide_the_rest(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await people(app, clinic, K + 1, LONELY, 5)
    await people(app, clinic, 2, NOT_LONELY, 6)  # hidden with the empty "insufficient", 2 = 14 - 12
    [period] = (await aggregates(client, clinic))["periods"]
    assert period["people"] == K + 3
    assert all(b["suppressed"] and b["assessments"] is None for b in period["scales"][0]["bands"])
    assert period["scales"][0]["mean"] is not None


async def test_large_cells_are_shown_and_weeks_are_iso_weeks(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await people(app, clinic, K, LONELY, 5)
    await people(app, clinic, K, NOT_LONELY, 6)
    weekly = await aggregates(client, clinic, period="week")
    assert [p["period"] for p in weekly["periods"]] == ["2024-W10"]
    monthly = await aggregates(client, clinic, **{"from": "2024-03-06", "to": "2024-03-31"})
    [period] = monthly["periods"]
    assert period["people"] == K
    bands = {b["band"]: b["assessments"] for b in period["scales"][0]["bands"]}
    # "higher" and "insufficient" are empty (small), their sum 0 is public: "lower" hides too.
    assert bands == {"lower": K, "higher": 0, "insufficient": 0}
    both = await aggregates(client, clinic)
    shown = {b["band"]: b["assessments"] for b in both["periods"][0]["scales"][0]["bands"]}
    assert shown == {"lower": K, "higher": K, "insufficient": 0}
    page = await client.get(
        "/v1/audit", params={"action": "research.aggregates"}, headers=clinic.admin
    )
    assert [e["details"]["from"] for e in page.json()["items"]] == [None, "2024-03-06", None]


@pytest.mark.parametrize(
    ("cells", "hidden"),
    [
        ([(20, 20), (30, 30), (40, 40)], set()),
        ([(3, 3), (30, 30), (20, 25)], {0, 2}),  # the lone small cell takes the next smallest
        ([(3, 3), (40, 40)], {0, 1}),
        ([(0, 0), (12, 12), (11, 11)], set()),  # an empty cell singles no one out
        ([(0, 0), (12, 12), (3, 3)], {0, 1, 2}),  # hiding the empty one alone would tell 3
        ([(10, 50), (11, 12), (11, 11)], {0, 2}),  # a lone hidden cell, however many rows
        ([(6, 6), (6, 6), (20, 20)], {0, 1}),  # two small cells that together reach k
        ([(3, 3), (4, 4), (20, 20)], {0, 1, 2}),  # 3 + 4 = total - 20 would still be small
    ],
)
def test_suppression_never_leaves_one_hidden_cell(
    cells: list[tuple[int, int]], hidden: set[int]
) -> None:
    assert suppressed_cells(cells, K) == hidden
