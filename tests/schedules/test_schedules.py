"""Recurring check-ins over the API: made once per occurrence, emailed, paused, missed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.clinic.models import Invitation
from app.mail.messages import local_time
from app.outbox.models import OutboxMessage
from app.schedules.models import Occurrence
from tests.clinic.conftest import add_client
from tests.conftest import count, new_staff, snapshot
from tests.mailserver import MailServer
from tests.schedules.conftest import (
    html_of,
    iso,
    link_in,
    morning,
    run,
    schedule,
    text_of,
)


async def set_zone(client: httpx.AsyncClient, app: FastAPI, organization: Any, zone: str) -> None:
    admin, _, _ = await new_staff(app, "admin", organization)
    put = await client.put("/v1/organization/time-zone", json={"time_zone": zone}, headers=admin)
    assert put.status_code == 200, put.text
    assert put.json() == {"time_zone": zone}


async def test_a_two_weekly_check_in_is_emailed_once_per_occurrence(
    mailing_app: FastAPI, client: httpx.AsyncClient, mail: MailServer
) -> None:
    staff, _, organization = await new_staff(mailing_app, "therapist")
    await set_zone(client, mailing_app, organization, "Europe/Madrid")
    person = await add_client(client, staff, "Robin", email="robin@example.org")
    start = morning()
    made = await schedule(client, staff, person["id"], starts_at=iso(start), count=3)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["status"], body["occurrences_total"], body["time_zone"]) == (
        "active",
        3,
        "Europe/Madrid",
    )
    assert body["occurrences"] == []

    assert await run(mailing_app, start - timedelta(minutes=1)) == (0, 0)  # not yet due
    assert await run(mailing_app, start) == (1, 0)
    (received,) = mail.mailbox.wait_for(1)
    assert received.recipients == ["robin@example.org"]
    text = text_of(received)
    path = link_in(received)
    assert path in html_of(received)
    assert "Robin" not in text  # never the therapist's label for the client
    # The expiry is in the organization's zone, in the schedule's language.
    async with mailing_app.state.sessionmaker() as session:
        invitation = (await session.execute(select(Invitation))).scalar_one()
    assert local_time(invitation.expires_at, "en", "Europe/Madrid") in text
    assert (invitation.expires_at - start) == timedelta(days=7)

    # Ticking again, even much later in the same fortnight, makes nothing more.
    assert await run(mailing_app, start + timedelta(days=13)) == (0, 0)
    assert await run(mailing_app, start + timedelta(days=14)) == (1, 0)
    assert len(mail.mailbox.wait_for(2)) == 2
    assert await run(mailing_app, start + timedelta(days=28)) == (1, 0)
    assert await run(mailing_app, start + timedelta(days=60)) == (0, 0)  # the count is reached
    assert await count(mailing_app, "invitations") == 3
    assert len(mail.mailbox.wait_for(3)) == 3

    shown = (await client.get(f"/v1/schedules/{body['id']}", headers=staff)).json()
    assert [o["number"] for o in shown["occurrences"]] == [2, 1, 0]
    first = shown["occurrences"][-1]
    assert first["due_at"] == iso(start).replace("+00:00", "Z")
    assert first["due_local"] == local_time(start, "en", "Europe/Madrid")
    assert first["emailed"] is True
    assert first["url"] is None
    assert shown["next_due_at"] is None


async def test_a_client_without_an_address_gets_a_link_the_therapist_passes_on(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    staff, _, _ = await new_staff(app, "therapist")
    person = await add_client(client, staff)
    start = morning()
    made = await schedule(client, staff, person["id"], starts_at=iso(start), count=2)
    await run(app, start)
    listed = (await client.get(f"/v1/clients/{person['id']}/schedules", headers=staff)).json()
    (occurrence,) = listed["items"][0]["occurrences"]
    assert occurrence["emailed"] is False
    assert occurrence["url"].startswith("https://attune.example/intake/ati")
    assert await count(app, "outbox_messages") == 0
    path = occurrence["url"].removeprefix("https://attune.example")
    assert (await client.get(path)).status_code == 200
    # Once revoked, the link is no longer shown.
    revoked = await client.post(
        f"/v1/invitations/{occurrence['invitation_id']}/revoke", headers=staff
    )
    assert revoked.status_code == 200
    again = (await client.get(f"/v1/schedules/{made.json()['id']}", headers=staff)).json()
    assert again["occurrences"][0]["url"] is None
    assert again["occurrences"][0]["status"] == "revoked"


async def test_pause_skips_what_falls_due_resume_goes_on_stop_ends_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    staff, _, _ = await new_staff(app, "therapist")
    person = await add_client(client, staff)
    start = morning() - timedelta(days=30)  # started a month ago: nothing was sent yet
    made = await schedule(
        client, staff, person["id"], starts_at=iso(start), every=1, unit="weeks", count=10
    )
    schedule_id = made.json()["id"]
    # Four occurrences fell due with no tick running: only the latest is sent.
    assert await run(app, start + timedelta(days=29)) == (1, 0)
    async with app.state.sessionmaker() as session:
        numbers = list((await session.execute(select(Occurrence.number))).scalars())
    assert numbers == [4]

    paused = await client.post(f"/v1/schedules/{schedule_id}/pause", headers=staff)
    assert paused.json()["status"] == "paused"
    assert await run(app, start + timedelta(days=36)) == (0, 0)
    resumed = await client.post(f"/v1/schedules/{schedule_id}/resume", headers=staff)
    assert resumed.json()["status"] == "active"
    # Resuming (now, in real time) skips what fell due while paused: the next is in the future.
    assert resumed.json()["next_due_at"] > iso(morning() - timedelta(days=1))
    stopped = await client.post(f"/v1/schedules/{schedule_id}/stop", headers=staff)
    assert (stopped.json()["status"], stopped.json()["next_due_at"]) == ("stopped", None)
    assert await run(app, start + timedelta(days=70)) == (0, 0)
    refused = await client.post(f"/v1/schedules/{schedule_id}/resume", headers=staff)
    assert refused.status_code == 409
    assert await count(app, "invitations") == 1


async def test_expired_unanswered_occurrences_are_listed_as_missed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    staff, _, _ = await new_staff(app, "therapist")
    person = await add_client(client, staff)
    start = morning() - timedelta(days=20)
    await schedule(
        client, staff, person["id"], starts_at=iso(start), every=1, unit="weeks", count=4
    )
    await run(app, start)  # link expires 7 days later: in the past now
    await run(app, start + timedelta(days=14))  # still pending now
    missed = (await client.get(f"/v1/clients/{person['id']}/missed", headers=staff)).json()
    (item,) = missed["items"]
    assert (item["number"], item["status"]) == (0, "expired")


BAD: list[tuple[dict[str, Any], str]] = [
    ({"ends_at": "2026-01-01T00:00:00Z", "starts_at": "2026-02-01T00:00:00Z"}, "#/ends_at"),
    ({"every": 0, "count": 3}, "#/every"),
    ({"count": 101}, "#/count"),
    ({"every": 1, "unit": "days", "ends_at": "2027-06-01T00:00:00Z"}, "#/ends_at"),
    ({"count": 3, "questionnaires": ["no-such-questionnaire"]}, "#/questionnaires/0"),
    # Its licence needs permission the operator has not given (questionnaires_enabled).
    (
        {"count": 3, "questionnaires": ["three-item-loneliness", "de-jong-gierveld-6"]},
        "#/questionnaires/1",
    ),
    ({"every": -2, "count": 3}, "#/every"),
    ({"count": 0}, "#/count"),
    ({"count": 3, "unit": "fortnights"}, "#/unit"),
    ({"count": 3, "starts_at": "2026-02-01T00:00:00"}, "#/starts_at"),  # no offset
    ({"count": 3, "ends_at": "2026-03-01T00:00:00Z"}, "#/ends_at"),  # both
]


@pytest.mark.parametrize(("fields", "pointer"), BAD)
async def test_a_bad_schedule_is_refused_naming_the_field_and_nothing_is_made(
    app: FastAPI, client: httpx.AsyncClient, fields: dict[str, Any], pointer: str
) -> None:
    staff, _, _ = await new_staff(app, "therapist")
    person = await add_client(client, staff)
    before = await snapshot(app)
    body = {"starts_at": "2026-01-01T09:00:00Z"} | fields
    refused = await schedule(client, staff, person["id"], **body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert pointer in [e["pointer"] for e in refused.json()["errors"]]
    assert await snapshot(app) == before


async def test_an_unknown_time_zone_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin, _, _ = await new_staff(app, "admin")
    before = await snapshot(app)
    for zone in ("Mars/Olympus", "Europe/../UTC", "+02:00"):
        put = await client.put(
            "/v1/organization/time-zone", json={"time_zone": zone}, headers=admin
        )
        assert put.status_code == 422, zone
        assert put.json()["errors"][0]["pointer"] == "#/time_zone"
    assert await snapshot(app) == before
    got = await client.get("/v1/organization/time-zone", headers=admin)
    assert got.json() == {"time_zone": "UTC"}


async def test_outbox_dedup_key_names_the_occurrence(
    mailing_app: FastAPI, client: httpx.AsyncClient
) -> None:
    staff, _, _ = await new_staff(mailing_app, "therapist")
    person = await add_client(client, staff, email="kit@example.org")
    start = morning()
    made = await schedule(client, staff, person["id"], starts_at=iso(start), count=2)
    await run(mailing_app, start)
    async with mailing_app.state.sessionmaker() as session:
        (message,) = (await session.execute(select(OutboxMessage))).scalars()
    assert message.dedup_key == f"occurrence:{made.json()['id']}:0"
