"""Support lines follow the reader's region, then their language; every number is sourced."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from app.accounts.models import Organization
from app.questionnaires.content import Support
from app.questionnaires.registry import Registry
from app.questionnaires.support import OrganizationSupport, choose_support, region_of
from tests.api.answering import answer_all, questionnaire, start, submit
from tests.clinic.conftest import add_client, submit_for
from tests.conftest import new_staff, snapshot
from tests.intake.links import make_link

SUPPORT = Registry.load().support
#: Argentina is not shipped: none of its lines could be checked at an official page.
SHIPPED = {"US", "CA", "GB", "IE", "ES", "MX", "CO", "CL"}


def test_every_required_country_ships_with_an_international_fallback() -> None:
    assert set(SUPPORT.regions) >= SHIPPED
    assert "AR" not in SUPPORT.regions
    assert "findahelpline.com" in (SUPPORT.international[0].url or "")
    assert SUPPORT.regions["CA"].crisis.phone == "988"


def test_every_shipped_number_carries_its_source_and_the_day_it_was_checked() -> None:
    lines = [line for line in SUPPORT.international]
    for region in SUPPORT.regions.values():
        lines += [region.crisis, *region.lines]
        lines += [region.emergency] if region.emergency else []
    for line in lines:
        assert line.source.startswith(("https://", "http://")), line.name
        assert line.checked.year >= 2026, line.name


@pytest.mark.parametrize("missing", ["source", "checked"])
def test_a_line_without_source_or_date_is_refused(missing: str) -> None:
    data: dict[str, Any] = SUPPORT.model_dump(mode="json")
    del data["regions"]["MX"]["crisis"][missing]
    with pytest.raises(ValidationError, match=f"regions.MX.crisis.{missing}"):
        Support.model_validate(data)


@pytest.mark.parametrize(
    ("tag", "region"),
    [("es-MX", "MX"), ("en-gb", "GB"), ("es", None), ("es-419", None), ("zh-Hant-TW", "TW")],
)
def test_region_of_a_language_tag(tag: str, region: str | None) -> None:
    assert region_of(tag) == region


MEXICO = OrganizationSupport(country="MX")
OWN = OrganizationSupport(
    country="CO", lines=[{"name": "Clinic line", "description": "Our on-call team", "phone": "1"}]
)


@pytest.mark.parametrize(
    ("wanted", "organization", "deployment", "language", "region", "first_phone"),
    [
        (["es-MX"], None, None, "es", "MX", "800 911 2000"),  # the reader's own region
        (["es-CO"], MEXICO, "US", "es", "CO", "192"),  # ... wins over the organization's
        (["es-AR"], None, None, "es", None, "800 911 2000"),  # not shipped: the Spanish list
        (["es"], MEXICO, "US", "es", "MX", "800 911 2000"),  # then the organization's
        (["es"], None, "US", "es", "US", "988"),  # then the deployment's
        (["en-IE"], None, None, "en", "IE", "116 123"),
        (["en-CA"], None, None, "en", "CA", "988"),
        (["es"], None, None, "es", None, "800 911 2000"),  # Spanish default: Mexico first
        (["fr-FR"], None, None, "en", None, "988"),  # a country we do not ship: English default
        (["es"], OWN, None, "es", "CO", "1"),  # the organization's own line first
    ],
)
def test_choose_support(
    wanted: list[str],
    organization: OrganizationSupport | None,
    deployment: str | None,
    language: str,
    region: str | None,
    first_phone: str | None,
) -> None:
    choice = choose_support(SUPPORT, wanted, organization, deployment)
    assert (choice.language, choice.region) == (language, region)
    assert choice.resources[0].phone == first_phone
    assert choice.resources[-1].url == "https://findahelpline.com"


def test_the_spanish_default_names_the_country_of_every_number_and_is_not_spain_only() -> None:
    choice = choose_support(SUPPORT, ["es"])
    countries = [r.country for r in choice.resources if r.phone]
    assert all(countries)
    assert {"México", "Colombia", "Chile", "España"} <= set(countries)
    assert countries[0] != "España"
    assert choice.pointer.startswith("Si piensas en quitarte la vida o estás en peligro ahora")


def test_the_pointer_names_the_region_line_and_emergency_number() -> None:
    mexico = choose_support(SUPPORT, ["es-MX"])
    assert "800 911 2000 (Línea de la Vida (CONASAMA))" in mexico.pointer
    assert mexico.pointer.endswith("911.")
    # Checked at official pages: 999 in the UK (NHS), 999 or 112 in Ireland (Citizens
    # Information); Argentina's differs by province, so none is shipped for it.
    for tag in ("en-GB", "en-IE"):
        assert choose_support(SUPPORT, [tag]).pointer.endswith(", or 999."), tag
    assert "116 123 (Samaritans Ireland)" in choose_support(SUPPORT, ["en-IE"]).pointer
    argentina = choose_support(SUPPORT, ["es-AR"])
    assert argentina.pointer == SUPPORT.texts["es"].pointer_general
    assert argentina.resources[-1].url == "https://findahelpline.com"


async def one_shot(client: httpx.AsyncClient, auth: dict[str, str], lang: str) -> dict[str, Any]:
    response = await client.post(
        "/v1/submissions",
        json={
            "id": "3f1d3a2e-2f4a-4b57-9d55-1d2c3b4a5e6f",
            "questionnaire_id": "three-item-loneliness",
            "answers": {"lack-companionship": 1, "left-out": 1, "isolated": 1},
            "answered_at": "2026-11-30T10:00:00Z",
        },
        headers=auth | {"Accept-Language": lang},
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_reader_in_mexico_of_an_english_scale_gets_mexicos_lines_in_spanish(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    feedback = (await one_shot(client, auth, "es-MX"))["result"]["feedback"]
    assert feedback["locale"] == "en"  # the scale is English only
    assert (feedback["support"]["language"], feedback["support"]["region"]) == ("es", "MX")
    assert feedback["support_first"] is False  # no flag, yet the pointer is there
    assert feedback["crisis"].startswith("Si piensas en quitarte la vida")
    first = feedback["support"]["resources"][0]
    assert (first["phone"], first["country"]) == ("800 911 2000", "México")
    assert first["source"].startswith("https://")
    assert first["checked"] == "2026-12-01"


async def test_an_admin_sets_the_organizations_country_and_lines(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin, _, organization = await new_staff(app, "admin")
    therapist, _, _ = await new_staff(app, "therapist", organization)
    assert (await client.get("/v1/organization/support", headers=admin)).json() == {
        "country": None,
        "lines": [],
    }
    await client.put("/v1/organization/support", json={"country": "AR"}, headers=admin)
    before = await snapshot(app)
    too_many = {"country": "MX", "lines": [{"name": "x", "description": "y"}] * 11}
    for body in ({"country": "Mexico"}, too_many, {"lines": [{"name": "no description"}]}):
        bad = await client.put("/v1/organization/support", json=body, headers=admin)
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["errors"][0]["pointer"].startswith(("#/country", "#/lines"))
    assert await snapshot(app) == before
    denied = await client.put("/v1/organization/support", json={}, headers=therapist)
    assert denied.status_code == 403
    body = {
        "country": "CL",
        "lines": [{"name": "Clínica de turno", "description": "Equipo de guardia", "phone": "2"}],
    }
    saved = await client.put("/v1/organization/support", json=body, headers=admin)
    assert saved.status_code == 200, saved.text
    assert (await client.get("/v1/organization/support", headers=admin)).json()["country"] == "CL"
    patient = await add_client(client, therapist)
    await submit_for(app, patient["id"], {"hyperarousal"})
    results = await client.get(
        f"/v1/clients/{patient['id']}/results", headers=therapist | {"Accept-Language": "es"}
    )
    support = results.json()["items"][0]["feedback"]["support"]
    assert support["region"] == "CL"
    assert [r["phone"] for r in support["resources"][:2]] == ["2", "*4141"]
    assert support["resources"][0]["country"] == "Chile"


async def test_the_not_applicable_answer_is_published_with_the_items(
    client: httpx.AsyncClient,
) -> None:
    served = (await client.get("/v1/questionnaires/window-of-tolerance?lang=es")).json()
    close = next(i for i in served["items"] if i["id"] == "close-safe")
    last = close["options"][-1]
    assert last == {"value": 9, "label": "Nadie estuvo cerca de mí", "not_applicable": True}
    assert not any(o["not_applicable"] for o in close["options"][:-1])


async def test_a_client_answering_through_an_intake_link_gets_the_clinics_lines(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    link = await make_link(app, ("three-item-loneliness",))
    async with app.state.sessionmaker.begin() as session:
        organization = await session.get_one(Organization, link.organization_id)
        organization.support_country = "CO"
        organization.support_lines = [
            {"name": "Guardia", "description": "La clínica", "phone": "7"}
        ]
    auth = {"Authorization": f"Bearer {link.token}"}
    created = await start(client, auth, "three-item-loneliness")
    answers = answer_all(await questionnaire(client, "three-item-loneliness"))
    saved = await client.put(
        f"/v1/assessments/{created['id']}/answers",
        json={"answers": answers},
        headers=auth | {"If-Match": f'"{created["revision"]}"'},
    )
    assert saved.status_code == 200, saved.text
    submitted = await submit(client, auth, created["id"])  # the last part: the link is spent
    assert submitted.status_code == 200, submitted.text
    support = submitted.json()["feedback"]["support"]
    assert support["region"] == "CO"  # the reader's tag names no region: the clinic's country
    assert [r["phone"] for r in support["resources"][:2]] == ["7", "192"]
