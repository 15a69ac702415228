"""GET /v1/research/export: de-identified, consent-aware rows on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.research.seeding import (
    LONELINESS,
    LONELY,
    NOT_LONELY,
    Clinic,
    add_assessment,
    at,
    crowd,
    many_people,
    new_clinic,
    new_person,
    seeded_rows,
    withdraw,
)

K = 11  # the default research_min_cell

ISO_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?|\d{4}-W\d{2}|\d{2}:\d{2}")
TIME_NAMES = re.compile(r"date|time|week|month|day|_at$", re.IGNORECASE)


async def export(
    client: httpx.AsyncClient, clinic: Clinic, **params: Any
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """Export as the clinic's researcher; the rows parsed from CSV or JSON Lines."""
    query = {"questionnaire": LONELINESS} | params
    response = await client.get("/v1/research/export", params=query, headers=clinic.researcher)
    assert response.status_code == 200, response.text
    if query.get("format") == "jsonl":
        return response, [json.loads(line) for line in response.text.splitlines()]
    return response, list(csv.DictReader(io.StringIO(response.text)))


async def seeded(app: FastAPI) -> tuple[Clinic, list[Any]]:
    """Two consenting people (one with two assessments), a refuser, a withdrawer, an app user;
    and the crowd, k people in CROWD_YEAR, so that the export is allowed."""
    clinic = await new_clinic(app)
    await crowd(app, clinic)
    twice, once = await new_person(app, clinic), await new_person(app, clinic)
    await add_assessment(app, twice, at(2024, 3, 5), LONELY, clinic=clinic)
    await add_assessment(app, twice, at(2025, 1, 9), NOT_LONELY, clinic=clinic)
    await add_assessment(app, once, at(2024, 6, 1), NOT_LONELY, clinic=clinic)
    refused = await new_person(app, clinic, consent=False)
    await add_assessment(app, refused, at(2024, 6, 2), consent=False, clinic=clinic)
    withdrew = await new_person(app, clinic)
    await add_assessment(app, withdrew, at(2024, 6, 3), clinic=clinic)
    await withdraw(app, withdrew)
    app_user = await new_person(app, None)
    await add_assessment(app, app_user, at(2024, 6, 4))
    return clinic, [twice, once]


VARIANTS = [
    {},
    {"format": "jsonl"},
    {"items": "true"},
    {"format": "jsonl", "items": "true"},
]


@pytest.mark.parametrize("params", VARIANTS)
async def test_no_identifying_field_reaches_an_export(
    app: FastAPI, client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    clinic, _ = await seeded(app)
    made = await client.post("/v1/research/studies", json={"name": "s1"}, headers=clinic.researcher)
    assert made.status_code == 201
    for study in (None, "s1"):
        response, rows = await export(
            client, clinic, **params, **({"study": study} if study else {})
        )
        assert len(seeded_rows(rows)) == 3
        text = response.text.lower()
        for secret in clinic.markers | clinic.raw_ids:
            assert secret.lower() not in text, secret
        assert "marker" not in text


async def test_only_people_consenting_then_and_now_are_exported(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, _ = await seeded(app)
    _, rows = await export(client, clinic)
    assert len(rows) == 3 + K
    assert sorted(
        (r["year"], r["score_loneliness"], r["band_loneliness"]) for r in seeded_rows(rows)
    ) == [
        ("2024", "4", "lower"),
        ("2024", "7", "higher"),
        ("2025", "4", "lower"),
    ]


async def test_pseudonyms_are_stable_within_an_export_and_differ_between_exports(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, _ = await seeded(app)
    _, everyone = await export(client, clinic)
    _, second = await export(client, clinic, format="jsonl")
    first = seeded_rows(everyone)
    people = {r["person_key"] for r in first}
    assert len(people) == 2  # the person with two assessments has one key
    sequences = sorted((r["person_key"], r["sequence"]) for r in first)
    twice = [key for key, sequence in sequences if sequence == "2"]
    assert [(twice[0], "1"), (twice[0], "2")] == [s for s in sequences if s[0] == twice[0]]
    keys = [r[name] for r in first for name in ("person_key", "assessment_key")]
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert len({r["assessment_key"] for r in first}) == 3
    assert people.isdisjoint({r["person_key"] for r in second})
    assert {r["assessment_key"] for r in first}.isdisjoint({r["assessment_key"] for r in second})


async def test_a_study_keeps_its_pseudonyms_across_exports(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, _ = await seeded(app)
    for name in ("alpha", "beta"):
        made = await client.post("/v1/research/studies", json={"name": name}, headers=clinic.admin)
        assert made.status_code == 201, made.text
    response, alpha = await export(client, clinic, study="alpha")
    _, again = await export(client, clinic, study="alpha", format="jsonl")
    _, beta = await export(client, clinic, study="beta")
    assert response.headers["attune-pseudonym-scope"] == "study"
    key = lambda rows: sorted((r["person_key"], r["assessment_key"]) for r in rows)  # noqa: E731
    assert key(alpha) == key(again)
    assert {r["person_key"] for r in alpha}.isdisjoint({r["person_key"] for r in beta})


@pytest.mark.parametrize("params", VARIANTS)
async def test_a_default_export_has_no_date_finer_than_the_year(
    app: FastAPI, client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    clinic, _ = await seeded(app)
    response, rows = await export(client, clinic, **params)
    assert response.headers["attune-designation"] == "none"
    assert response.headers["attune-pseudonym-scope"] == "request"
    assert not [name for name in rows[0] if TIME_NAMES.search(name)]
    for row in rows:
        assert not [v for v in row.values() if isinstance(v, str) and ISO_DATE.search(v)]
    assert {str(r["year"]) for r in seeded_rows(rows)} == {"2024", "2025"}


async def test_columns_follow_the_definition_and_items_are_opt_in(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, _ = await seeded(app)
    _, everything = await export(client, clinic, format="jsonl")
    _, all_items = await export(client, clinic, format="jsonl", items="true")
    plain, items = seeded_rows(everything), seeded_rows(all_items)
    expected = ["person_key", "assessment_key", "questionnaire_id", "questionnaire_version"]
    expected += ["definition_hash", "engine_version", "year", "sequence", "source"]
    expected += ["score_loneliness", "band_loneliness", "profile", "flags"]
    assert list(plain[0]) == expected
    answers = ["item_lack_companionship", "item_left_out", "item_isolated"]
    assert list(items[0]) == expected + answers
    assert sorted(tuple(r[a] for a in answers) for r in items) == [(1, 1, 2), (1, 1, 2), (3, 2, 2)]
    assert {r["source"] for r in plain} == {"intake"}
    assert {r["questionnaire_version"] for r in plain} == {
        app.state.registry.get(LONELINESS).version
    }


async def test_the_period_filters_but_the_sequence_counts_from_the_first(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, _ = await seeded(app)
    await many_people(app, clinic, K, when=at(2025, 8, 1), answers=NOT_LONELY)
    _, rows = await export(client, clinic, **{"from": "2025", "to": "2025"})
    ranked = sorted((r["year"], r["sequence"], r["score_loneliness"]) for r in rows)
    assert ranked == [("2025", "1", "4")] * K + [("2025", "2", "4")]
    _, until = await export(client, clinic, to="2024")
    assert {r["year"] for r in until} == {"2023", "2024"}
    bad = await client.get(
        "/v1/research/export",
        params={"questionnaire": LONELINESS, "from": "2025", "to": "2024"},
        headers=clinic.researcher,
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"] == [{"parameter": "to", "detail": "must not be before from"}]


async def test_the_export_is_audited_with_its_row_count(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic, _ = await seeded(app)
    await export(client, clinic, format="jsonl", items="true")
    page = await client.get("/v1/audit", params={"action": "research.export"}, headers=clinic.admin)
    assert page.status_code == 200
    [event] = page.json()["items"]
    assert event["details"]["rows"] == 3 + K
    assert event["details"]["completed"] is True
    assert event["details"]["format"] == "jsonl"
    assert event["details"]["items"] is True
    assert event["target"] == f"{LONELINESS}@1.1.0"
