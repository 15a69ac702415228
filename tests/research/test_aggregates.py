"""GET /v1/research/aggregates: counts, means and bands per period, small cells suppressed.

Counts sit at the boundaries (k-1, k, k+1 people), other organizations', non-consenting and
other versions' rows are present, and a three-scale questionnaire is aggregated, so that each
filter, each threshold and each index into a row is needed for the answers to come out right.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
    many_people,
    new_clinic,
    new_person,
)

K = 11  # the default research_min_cell
UNSCORABLE = {"lack-companionship": 1, "left-out": 1}  # every item is needed: insufficient
DJG = "de-jong-gierveld-6"
# De Jong Gierveld: "yes" to all six is emotional 3, social 0, total 3 (moderately lonely);
# "no" to all six is emotional 0, social 3, total 3.
ALL_YES = dict.fromkeys(
    ["emptiness", "rely-on", "trust-completely", "miss-people-around", "feel-close-to"], 1
) | {"feel-rejected": 1}
ALL_NO = dict.fromkeys(ALL_YES, 3)
TICK = timedelta(microseconds=1)


async def aggregates(
    client: httpx.AsyncClient, clinic: Clinic, **params: str
) -> list[dict[str, Any]]:
    """The researcher's aggregates (of the loneliness scale unless `questionnaire` is given)."""
    query = {"questionnaire": LONELINESS} | params
    response = await client.get("/v1/research/aggregates", params=query, headers=clinic.researcher)
    assert response.status_code == 200, response.text
    return list(response.json()["periods"])


def bands(period: dict[str, Any], scale: int = 0) -> dict[str, int | None]:
    """A period's band counts of one scale, by band (None: suppressed, and marked so)."""
    cells = period["scales"][scale]["bands"]
    assert all(b["suppressed"] is (b["assessments"] is None) for b in cells), cells
    return {b["band"]: b["assessments"] for b in cells}


async def designated(client: httpx.AsyncClient, clinic: Clinic, unit: str) -> str:
    """A study the admin designated for months or weeks; its name."""
    made = await client.post("/v1/research/studies", json={"name": unit}, headers=clinic.admin)
    body = {"designation": "limited_data_set", "finer_time": unit}
    done = await client.put(
        f"/v1/research/studies/{made.json()['id']}/designation", json=body, headers=clinic.admin
    )
    assert done.status_code == 200, done.text
    return unit


async def test_fewer_than_k_people_in_all_is_refused_and_k_is_enough(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, K - 1, when=at(2024, 3, 5))
    query = {"questionnaire": LONELINESS}
    refused = await client.get("/v1/research/aggregates", params=query, headers=clinic.researcher)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "urn:attune:problem:too-few-people"
    assert problem["min_people"] == K
    assert problem["detail"].startswith(f"This set of aggregates would describe fewer than {K}")
    assert str(K - 1) not in problem["detail"]  # the count under k is itself a small cell
    await many_people(app, clinic, 1, when=at(2024, 9, 1))
    [period] = await aggregates(client, clinic)
    assert (period["period"], period["people"], period["assessments"]) == ("2024", K, K)


async def test_a_period_of_k_people_is_shown_and_one_of_k_minus_1_is_suppressed_whole(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, K, when=at(2024, 3, 5))
    await many_people(app, clinic, K - 1, when=at(2025, 3, 5))
    shown, hidden = await aggregates(client, clinic)
    assert (shown["period"], shown["suppressed"], shown["people"]) == ("2024", False, K)
    assert bands(shown) == {"lower": 0, "higher": K, "insufficient": 0}
    assert shown["scales"][0]["mean"] == 7.0
    assert hidden == {
        "period": "2025",
        "suppressed": True,
        "people": None,
        "assessments": None,
        "scales": [],
    }


async def test_only_the_organizations_consenting_people_of_this_version_count(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, other = await new_clinic(app), await new_clinic(app)
    when = at(2024, 6, 1)
    await many_people(app, clinic, K, when=when, answers=LONELY)  # the only ones that count
    noise = {"when": when, "answers": NOT_LONELY}
    await many_people(app, other, K, **noise)  # another organization
    await many_people(app, clinic, K, **noise, consent=False)  # never consented
    await many_people(app, clinic, K, **noise, consent=False, consented_then=True)  # withdrew
    await many_people(app, clinic, K, **noise, consent=True, consented_then=False)  # not then
    await many_people(app, clinic, K, **noise, version="0.9.0")  # another version
    for _ in range(K):  # app users: no client, no organization
        await add_assessment(app, await new_person(app, None), when, NOT_LONELY)
    [period] = await aggregates(client, clinic)
    assert (period["people"], period["assessments"]) == (K, K)
    assert period["scales"][0]["mean"] == 7.0
    assert bands(period) == {"lower": 0, "higher": K, "insufficient": 0}
    [theirs] = await aggregates(client, other)
    assert (theirs["people"], theirs["scales"][0]["mean"]) == (K, 4.0)


async def test_every_scale_of_a_questionnaire_is_aggregated_on_its_own(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, K, questionnaire=DJG, answers=ALL_YES, when=at(2024, 2, 1))
    await many_people(app, clinic, K + 1, questionnaire=DJG, answers=ALL_NO, when=at(2024, 2, 2))
    often = await new_person(app, clinic)  # one person, three assessments
    for month in (4, 5, 6):
        await add_assessment(app, often, at(2024, month, 1), ALL_NO, questionnaire=DJG)
    [period] = await aggregates(client, clinic, questionnaire=DJG)
    people, assessments = 2 * K + 2, 2 * K + 4
    assert (period["people"], period["assessments"]) == (people, assessments)
    means = {s["id"]: s["mean"] for s in period["scales"]}
    assert means["emotional"] == 1.27  # 33 / 26, to two decimals
    no = K + 4  # assessments answered "no" to all
    assert means == {
        "emotional": round(3 * K / assessments, 2),  # per assessment, not per person
        "social": round(3 * no / assessments, 2),
        "total": 3.0,
    }
    assert bands(period, 0) == {"not-lonely": no, "lonely": K, "insufficient": 0}
    assert bands(period, 1) == {"not-lonely": K, "lonely": no, "insufficient": 0}
    assert bands(period, 2) == {
        "not-lonely": 0,
        "moderately-lonely": assessments,
        "severely-lonely": 0,
        "insufficient": 0,
    }


@pytest.mark.parametrize(("scored", "shown"), [(K - 1, False), (K, True)])
async def test_the_mean_of_fewer_than_k_scored_people_is_hidden(
    app: FastAPI, client: httpx.AsyncClient, scored: int, shown: bool
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, scored, answers=LONELY, when=at(2024, 3, 1))
    await many_people(app, clinic, K + 1, answers=UNSCORABLE, when=at(2024, 3, 2))
    [period] = await aggregates(client, clinic)
    [scale] = period["scales"]
    assert (scale["mean"], scale["mean_suppressed"]) == ((7.0, False) if shown else (None, True))


async def test_a_one_person_band_is_hidden(app: FastAPI, client: httpx.AsyncClient) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, K + 1, answers=LONELY, when=at(2024, 3, 1))
    await many_people(app, clinic, 1, answers=NOT_LONELY, when=at(2024, 3, 1))
    await many_people(app, clinic, K, answers=UNSCORABLE, when=at(2024, 3, 1))
    [period] = await aggregates(client, clinic)
    # The one person's band, and the next smallest so the hidden ones count at least k.
    assert bands(period) == {"lower": None, "higher": K + 1, "insufficient": None}


async def test_a_band_of_k_people_is_shown_and_one_of_k_minus_1_hidden(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    await many_people(app, clinic, K, answers=LONELY, when=at(2024, 3, 1))
    await many_people(app, clinic, K - 1, answers=NOT_LONELY, when=at(2024, 3, 1))
    await many_people(app, clinic, K + 2, answers=UNSCORABLE, when=at(2024, 3, 1))
    [period] = await aggregates(client, clinic)
    # k-1 is hidden with the next smallest, k: together 2k-1 >= k, so the rest is shown.
    assert bands(period) == {"lower": None, "higher": None, "insufficient": K + 2}
    await many_people(app, clinic, 1, answers=NOT_LONELY, when=at(2024, 3, 1))
    [period] = await aggregates(client, clinic)
    assert bands(period) == {"lower": K, "higher": K, "insufficient": K + 2}


async def test_a_year_runs_from_its_first_instant_to_its_last(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    new_year = datetime(2024, 1, 1, tzinfo=UTC)
    next_year = datetime(2025, 1, 1, tzinfo=UTC)
    for n, when in enumerate([new_year - TICK, new_year, next_year - TICK, next_year]):
        await many_people(app, clinic, K + n, when=when)
    assert [(p["period"], p["people"]) for p in await aggregates(client, clinic)] == [
        ("2023", K),
        ("2024", 2 * K + 3),
        ("2025", K + 3),
    ]
    chosen = await aggregates(client, clinic, **{"from": "2024", "to": "2024"})
    assert [(p["period"], p["people"]) for p in chosen] == [("2024", 2 * K + 3)]
    until = await aggregates(client, clinic, to="2024")
    assert [p["period"] for p in until] == ["2023", "2024"]
    since = await aggregates(client, clinic, **{"from": "2024"})
    assert [p["period"] for p in since] == ["2024", "2025"]
    page = await client.get(
        "/v1/audit", params={"action": "research.aggregates"}, headers=clinic.admin
    )
    assert [(e["details"]["from"], e["details"]["to"]) for e in page.json()["items"]] == [
        ("2024", None),
        (None, "2024"),
        ("2024", "2024"),
        (None, None),
    ]


async def test_months_only_for_a_study_designated_for_months_and_whole_ones(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    march = datetime(2024, 3, 1, tzinfo=UTC)
    for n, when in enumerate([march - TICK, march, datetime(2024, 4, 1, tzinfo=UTC) - TICK]):
        await many_people(app, clinic, K + n, when=when)
    query = {"questionnaire": LONELINESS, "period": "month"}
    refused = await client.get("/v1/research/aggregates", params=query, headers=clinic.researcher)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"parameter": "period", "detail": "must be one of: year"}]
    study = await designated(client, clinic, "month")
    monthly = await aggregates(client, clinic, period="month", study=study)
    assert [(p["period"], p["people"]) for p in monthly] == [("2024-02", K), ("2024-03", 2 * K + 3)]
    march_only = await aggregates(
        client, clinic, period="month", study=study, **{"from": "2024-03", "to": "2024-03"}
    )
    assert [(p["period"], p["people"]) for p in march_only] == [("2024-03", 2 * K + 3)]
    for value in ("2024-03-01", "2024-W09"):  # a day; a week is not whole months
        bad = await client.get(
            "/v1/research/aggregates",
            params=query | {"study": study, "from": value},
            headers=clinic.researcher,
        )
        assert bad.status_code == 422, value
        assert bad.json()["errors"][0]["parameter"] == "from"


async def test_iso_weeks_for_a_study_designated_for_weeks(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    week_one = datetime(2024, 12, 30, tzinfo=UTC)  # Monday of 2025-W01
    for n, when in enumerate([week_one - TICK, week_one, week_one + timedelta(days=7) - TICK]):
        await many_people(app, clinic, K + n, when=when)
    await many_people(app, clinic, K, when=week_one + timedelta(days=7))
    study = await designated(client, clinic, "week")
    weekly = await aggregates(client, clinic, period="week", study=study)
    assert [(p["period"], p["people"]) for p in weekly] == [
        ("2024-W52", K),
        ("2025-W01", 2 * K + 3),
        ("2025-W02", K),
    ]
    one = await aggregates(
        client, clinic, period="week", study=study, **{"from": "2025-W01", "to": "2025-W01"}
    )
    assert [(p["period"], p["people"]) for p in one] == [("2025-W01", 2 * K + 3)]
    query = {"questionnaire": LONELINESS, "period": "week", "study": study, "from": "2025"}
    year = await client.get("/v1/research/aggregates", params=query, headers=clinic.researcher)
    assert year.status_code == 422  # a calendar year is not whole ISO weeks
    month = await client.get(
        "/v1/research/aggregates",
        params=query | {"period": "month", "from": "2025-01"},
        headers=clinic.researcher,
    )
    assert month.status_code == 422
    assert month.json()["errors"][0]["parameter"] == "period"


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
        ([(6, 6), (5, 5), (20, 20)], {0, 1}),  # exactly k together is enough
        ([(3, 3), (4, 4), (20, 20)], {0, 1, 2}),  # 3 + 4 = total - 20 would still be small
        ([(3, 3), (4, 4)], {0, 1}),  # all hidden: nothing left to hide
        ([(2, 2)], {0}),
        ([(1, 1), (10, 10), (30, 30)], {0, 1}),  # one person is a small cell
        ([(11, 11), (10, 10), (10, 10)], {1, 2}),  # k people is not small; k - 1 is
        ([(5, 5), (5, 5), (5, 5)], {0, 1, 2}),  # ties: every cell, lowest index first
        ([(5, 5), (20, 20), (12, 12), (12, 12)], {0, 2}),  # the first of equal cells
    ],
)
def test_suppression_never_leaves_one_hidden_cell(
    cells: list[tuple[int, int]], hidden: set[int]
) -> None:
    assert suppressed_cells(cells, K) == hidden
