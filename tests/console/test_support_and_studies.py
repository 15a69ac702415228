"""An admin's support lines page and study designations: the API's use cases through forms,
mistakes named by field and nothing changed, another organization's study not found."""

from __future__ import annotations

import re
import uuid
from html import unescape

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.models import Organization, User
from app.audit.models import AuditEvent
from app.research import studies
from app.research.models import Study
from tests.accounts.staff import new_user
from tests.conftest import snapshot
from tests.console.browsing import ORIGIN, csrf_of, post_form, sign_in

LINE = {
    "name": "Clinic on-call line",
    "description": "A therapist of the clinic answers on weekdays from 9 to 17.",
    "phone": "+34 900 000 000",
    "url": "https://clinic.example/help",
}
SUPPORT = "/console/admin/support"


def words(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def fingerprint_of(html: str) -> str:
    """The digest of the lines a page showed (its forms send it back)."""
    found = re.search(r'name="fingerprint" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def admin(
    app: FastAPI, client: httpx.AsyncClient, email: str = "boss@clinic.test"
) -> uuid.UUID:
    _, organization_id = await new_user(app, email, "admin")
    assert (await sign_in(client, email)).status_code == 303
    return organization_id


async def stored(
    app: FastAPI, organization_id: uuid.UUID
) -> tuple[str | None, list[dict[str, str]]]:
    async with app.state.sessionmaker() as session:
        organization = await session.get_one(Organization, organization_id)
        return organization.support_country, organization.support_lines or []


async def test_an_admin_adds_edits_and_removes_a_line_and_sets_the_country(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    organization_id = await admin(app, client)
    assert "None yet." in words((await client.get(SUPPORT)).text)
    added = await post_form(client, f"{SUPPORT}/lines", LINE, from_page=SUPPORT)
    assert added.status_code == 303
    assert "The line was added." in words((await client.get(added.headers["location"])).text)
    assert await stored(app, organization_id) == (None, [LINE])
    # The API reads what the console wrote.
    edit = (await client.get(f"{SUPPORT}?edit=0")).text
    assert 'value="Clinic on-call line"' in edit
    assert 'name="line" value="0"' in edit
    changed = LINE | {"phone": "", "description": "Weekdays from 9 to 18."}
    changed |= {"line": "0", "fingerprint": fingerprint_of(edit)}
    saved = await post_form(client, f"{SUPPORT}/lines", changed, from_page=f"{SUPPORT}?edit=0")
    assert saved.status_code == 303
    expected = {"name": LINE["name"], "description": "Weekdays from 9 to 18.", "phone": None}
    assert await stored(app, organization_id) == (None, [expected | {"url": LINE["url"]}])

    country = await post_form(client, f"{SUPPORT}/country", {"country": "mx"}, from_page=SUPPORT)
    assert country.status_code == 303
    assert (await stored(app, organization_id))[0] == "MX"
    assert "the lines shipped for MX" in words((await client.get(SUPPORT)).text)

    shown = {"line": "0", "fingerprint": fingerprint_of((await client.get(SUPPORT)).text)}
    removed = await post_form(client, f"{SUPPORT}/lines/remove", shown, from_page=SUPPORT)
    assert removed.status_code == 303
    assert await stored(app, organization_id) == ("MX", [])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://clinic.example"}, "url"),
        ({"name": ""}, "name"),
        ({"description": ""}, "description"),
        ({"phone": "1" * 41}, "phone"),
    ],
)
async def test_a_wrong_line_names_its_field_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, change: dict[str, str], field: str
) -> None:
    await admin(app, client)
    before = await snapshot(app)
    response = await post_form(client, f"{SUPPORT}/lines", LINE | change, from_page=SUPPORT)
    assert response.status_code == 422
    assert f'href="#field-{field}"' in response.text
    assert f'id="error-{field}"' in response.text
    assert f'value="{LINE["name"] if field != "name" else ""}"' in response.text  # kept
    assert await snapshot(app) == before


async def test_a_wrong_country_an_eleventh_line_and_a_stale_form_change_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    organization_id = await admin(app, client)
    before = await snapshot(app)
    bad = await post_form(client, f"{SUPPORT}/country", {"country": "Mexico"}, from_page=SUPPORT)
    assert bad.status_code == 422
    assert 'href="#field-country"' in bad.text
    assert 'value="Mexico"' in bad.text
    assert await snapshot(app) == before

    for number in range(10):
        line = LINE | {"name": f"Line {number}"}
        assert (
            await post_form(client, f"{SUPPORT}/lines", line, from_page=SUPPORT)
        ).status_code == 303
    before = await snapshot(app)
    eleventh = await post_form(client, f"{SUPPORT}/lines", LINE, from_page=SUPPORT)
    assert eleventh.status_code == 422
    assert 'href="#field-lines"' in eleventh.text
    assert "at most 10 lines" in eleventh.text
    assert await snapshot(app) == before

    # A form shown before someone else removed a line: refused, nothing removed.
    stale = (await client.get(SUPPORT)).text
    token = {"csrf_token": csrf_of(stale)}
    first = {"line": "0", "fingerprint": fingerprint_of(stale)}
    assert (
        await client.post(f"{SUPPORT}/lines/remove", data=token | first, headers=ORIGIN)
    ).status_code == 303
    before = await snapshot(app)
    again = await client.post(f"{SUPPORT}/lines/remove", data=token | first, headers=ORIGIN)
    assert again.status_code == 409
    assert "nothing was saved" in words(again.text)
    edited = await client.post(f"{SUPPORT}/lines", data=token | first | LINE, headers=ORIGIN)
    assert edited.status_code == 409
    assert await snapshot(app) == before
    assert len((await stored(app, organization_id))[1]) == 9


async def test_the_support_page_is_for_admins_and_needs_its_csrf_token(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    organization_id = await admin(app, client)
    before = await snapshot(app)
    forged = await client.post(f"{SUPPORT}/lines", data=LINE, headers=ORIGIN)
    assert forged.status_code == 403
    assert "Request refused" in forged.text
    assert await snapshot(app) == before
    client.cookies.clear()
    await new_user(app, "sam@clinic.test", "therapist", organization_id)
    await sign_in(client, "sam@clinic.test")
    assert (await client.get(SUPPORT)).status_code == 403


async def make_study(app: FastAPI, organization_id: uuid.UUID, name: str) -> str:
    async with app.state.sessionmaker.begin() as session:
        user = (
            (await session.execute(select(User).where(User.organization_id == organization_id)))
            .scalars()
            .first()
        )
        assert user is not None
        return str((await studies.create_study(session, user, name)).id)


async def test_an_admin_designates_a_study_and_it_is_audited(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    organization_id = await admin(app, client)
    made = await post_form(client, "/console/admin/studies", {"name": "Sleep 2026"})
    assert made.status_code == 303
    listing = words((await client.get(made.headers["location"])).text)
    assert "The study was created." in listing
    assert "Sleep 2026 None (year only) Year only" in listing
    async with app.state.sessionmaker() as session:
        study = (await session.execute(select(Study))).scalar_one()
    page = f"/console/admin/studies/{study.id}"
    form = {"designation": "limited_data_set", "finer_time": "month"}
    done = await post_form(client, f"{page}/designation", form, from_page=page)
    assert done.status_code == 303
    listing = words((await client.get(done.headers["location"])).text)
    assert "written to the audit log" in listing
    assert "Sleep 2026 Limited data set Month" in listing
    async with app.state.sessionmaker() as session:
        study = await session.get_one(Study, study.id)
        (event,) = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "study.designate"))
        ).scalars()
    assert (study.designation, study.finer_time) == ("limited_data_set", "month")
    assert event.organization_id == organization_id
    assert event.target == str(study.id)
    assert event.details == {
        "before": {"designation": "none", "finer_time": None},
        "after": {"designation": "limited_data_set", "finer_time": "month"},
    }


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"designation": "none", "finer_time": "week"}, "finer_time"),
        ({"designation": "everything", "finer_time": ""}, "designation"),
        ({"designation": "expert_determination", "finer_time": "day"}, "finer_time"),
    ],
)
async def test_a_wrong_designation_names_its_field_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, form: dict[str, str], field: str
) -> None:
    organization_id = await admin(app, client)
    page = f"/console/admin/studies/{await make_study(app, organization_id, 'Sleep')}"
    before = await snapshot(app)
    response = await post_form(client, f"{page}/designation", form, from_page=page)
    assert response.status_code == 422
    assert f'href="#field-{field}"' in response.text
    assert f'id="error-{field}"' in response.text
    assert await snapshot(app) == before


async def test_a_taken_study_name_is_a_field_error(client: httpx.AsyncClient, app: FastAPI) -> None:
    organization_id = await admin(app, client)
    await make_study(app, organization_id, "Sleep")
    before = await snapshot(app)
    for name, message in (("Sleep", "already has a study"), (" ", "Enter a name")):
        response = await post_form(client, "/console/admin/studies", {"name": name})
        assert response.status_code == 422
        assert 'href="#field-name"' in response.text
        assert message in response.text
    assert await snapshot(app) == before


async def test_another_organizations_study_is_not_found(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    _, elsewhere = await new_user(app, "them@elsewhere.test", "admin")
    theirs = await make_study(app, elsewhere, "Their study")
    await admin(app, client)
    before = await snapshot(app)
    token = {"csrf_token": csrf_of((await client.get("/console/admin/studies")).text)}
    assert "Their study" not in (await client.get("/console/admin/studies")).text
    answers = []
    for study_id in (theirs, str(uuid.uuid4())):
        shown = await client.get(f"/console/admin/studies/{study_id}")
        posted = await client.post(
            f"/console/admin/studies/{study_id}/designation",
            data=token | {"designation": "limited_data_set", "finer_time": "week"},
            headers=ORIGIN,
        )
        answers.append((shown.status_code, posted.status_code, words(posted.text)))
        assert "Their study" not in shown.text + posted.text
    assert answers[0] == answers[1]
    assert answers[0][:2] == (404, 404)
    assert await snapshot(app) == before
    forged = await client.post(
        f"/console/admin/studies/{theirs}/designation", data={"designation": "none"}, headers=ORIGIN
    )
    assert forged.status_code == 403
