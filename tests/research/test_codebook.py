"""GET /v1/research/codebook: every export column described, with items, rules and sources."""

from __future__ import annotations

import csv
import io

import httpx
from fastapi import FastAPI

from tests.research.seeding import many_people, new_clinic

WOT = "window-of-tolerance"


async def test_the_codebook_describes_every_column_the_export_can_have(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    wot = app.state.registry.get(WOT)
    answers = {i.id: wot.response_scales[i.scale].options[0].value for i in wot.items}
    await many_people(app, clinic, 11, questionnaire=WOT, answers=answers)
    query = {"questionnaire": WOT}
    book = (
        await client.get("/v1/research/codebook", params=query, headers=clinic.researcher)
    ).json()
    export = await client.get(
        "/v1/research/export", params=query | {"items": "true"}, headers=clinic.researcher
    )
    header = export.text.splitlines()[0].split(",")
    assert [c["name"] for c in book["columns"]] == header
    definition = app.state.registry.get(WOT)
    assert book["definition_hash"] == app.state.registry.hash(definition)
    assert book["citation"] == definition.citation
    assert book["license"] == definition.license
    assert book["de_identification"]["pseudonym_scope"] == "request"
    assert "year" in book["de_identification"]["dates"]
    assert book["de_identification"]["min_people"] == 11
    assert book["de_identification"]["filters"].startswith("from and to are whole years (UTC)")
    columns = {c["name"]: c for c in book["columns"]}
    reversed_item = next(i for i in definition.items if i.reverse)
    item = columns[f"item_{reversed_item.id.replace('-', '_')}"]
    assert item["item_text"] == reversed_item.text
    assert item["scoring"].startswith("reverse-keyed")
    assert item["present"] == "items=true"
    hyper = definition.scale("hyperarousal")
    assert columns["band_hyperarousal"]["values"] == [b.id for b in hyper.bands]
    assert (columns["score_hyperarousal"]["minimum"], columns["score_hyperarousal"]["maximum"]) == (
        0,
        16,
    )
    assert [p["id"] for p in book["profiles"]] == [p.id for p in definition.profiles]
    assert book["profiles"][0]["when"]  # the rule itself, not only its name
    assert [s["bands"][0]["min"] for s in book["scales"]] == [
        s.bands[0].min for s in definition.scales
    ]


async def test_the_codebook_as_csv_has_one_row_per_column_with_texts_per_locale(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clinic = await new_clinic(app)
    query = {"questionnaire": WOT, "format": "csv"}
    response = await client.get("/v1/research/codebook", params=query, headers=clinic.researcher)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    definition = app.state.registry.get(WOT)
    assert len(rows) == 9 + 2 * len(definition.scales) + 2 + len(definition.items)
    first = next(
        r for r in rows if r["column"] == f"item_{definition.items[0].id.replace('-', '_')}"
    )
    for locale in definition.locales:
        assert first[f"text_{locale}"] == definition.items[0].text[locale]
    audit = await client.get(
        "/v1/audit", params={"action": "research.codebook"}, headers=clinic.admin
    )
    assert [e["details"]["format"] for e in audit.json()["items"]] == ["csv"]
