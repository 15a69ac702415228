"""Webhooks: registration, the outbox, signed delivery to a real receiver, retries, failure."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.clinic.webhooks import enqueue_event, sign, verify_signature
from app.db import utcnow
from app.main import create_app
from app.outbox.models import OutboxAttempt, OutboxMessage
from app.outbox.worker import deliver_due
from tests.clinic.conftest import Receiver
from tests.conftest import count, new_staff

SECRET = "whsec_test"


def intake_payload() -> dict[str, Any]:
    """What the intake form announces: ids and flags."""
    return {
        "invitation_id": uuid.uuid4(),
        "client_id": uuid.uuid4(),
        "assessment_ids": [uuid.uuid4()],
        "flags": ["high-distress-low-support"],
        "completed_at": utcnow(),
    }


async def register(client: httpx.AsyncClient, admin: dict[str, str], url: str) -> str:
    """Register a webhook over the API; return its secret."""
    response = await client.put("/v1/organization/webhook", json={"url": url}, headers=admin)
    assert response.status_code == 200, response.text
    secret: str = response.json()["secret"]
    return secret


async def enqueue(app: FastAPI, organization_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Enqueue an event in a transaction of its own, as the intake submit would."""
    async with app.state.sessionmaker.begin() as session:
        await enqueue_event(session, organization_id, "intake.completed", payload)


async def enqueue_then_fail(app: FastAPI, organization_id: uuid.UUID) -> None:
    """An intake submit that enqueued its event and then failed: the transaction rolls back."""
    async with app.state.sessionmaker.begin() as session:
        await enqueue_event(session, organization_id, "intake.completed", intake_payload())
        raise RuntimeError("the intake submit failed after enqueueing")


async def send_due(app: FastAPI) -> int:
    """One round of the outbox worker, as the background task would run it."""
    return await deliver_due(app.state.sessionmaker, app.state.outbox_channels)


async def make_due(app: FastAPI) -> None:
    """Skip the backoff wait, instead of sleeping through it."""
    async with app.state.sessionmaker.begin() as session:
        await session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))


async def test_an_event_is_signed_retried_and_recorded(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    admin, _, org = await new_staff(app, "admin")
    receiver.secret = await register(client, admin, receiver.url)
    receiver.statuses = [500, 200]
    payload = intake_payload()
    await enqueue(app, org, payload)

    assert await send_due(app) == 1
    assert await send_due(app) == 0
    await make_due(app)
    assert await send_due(app) == 1

    assert len(receiver.received) == 2
    first = receiver.received[0]
    assert verify_signature(receiver.secret, first["headers"]["Attune-Signature"], first["body"])
    event = json.loads(first["body"])
    assert first["headers"]["Attune-Event"] == "intake.completed"
    assert first["headers"]["Attune-Delivery"] == event["id"]
    assert event["data"]["client_id"] == str(payload["client_id"])
    assert event["data"]["flags"] == ["high-distress-low-support"]
    listed = await client.get("/v1/organization/webhook/deliveries", headers=admin)
    (delivery,) = listed.json()["items"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 2
    assert [t["status_code"] for t in delivery["tries"]] == [500, 200]
    assert receiver.secret not in listed.text


async def test_a_failed_try_backs_off_and_the_last_one_gives_up(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    admin, _, org = await new_staff(app, "admin")
    receiver.secret = await register(client, admin, receiver.url)
    receiver.statuses = [503, 503]
    await enqueue(app, org, intake_payload())
    app.state.outbox_channels["webhook"].max_attempts = 2

    await send_due(app)
    delivery, tried = await delivery_and_last_try(app)
    assert delivery.status == "pending"
    # 2**1 * 30 s after the first failure, counted from the moment the try was recorded.
    assert delivery.next_attempt_at - tried.attempted_at == timedelta(seconds=60)
    await make_due(app)
    await send_due(app)
    await make_due(app)
    assert await send_due(app) == 0

    listed = await client.get("/v1/organization/webhook/deliveries", headers=admin)
    (delivery_read,) = listed.json()["items"]
    assert delivery_read["status"] == "failed"
    assert [t["status_code"] for t in delivery_read["tries"]] == [503, 503]


@pytest.mark.parametrize(
    ("earlier_tries", "backoff"),
    [(1, 120), (4, 960), (5, 1920), (6, 3600), (9, 3600)],
    ids=["2nd", "5th", "6th", "capped", "still-capped"],
)
async def test_the_backoff_doubles_up_to_an_hour(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, earlier_tries: int, backoff: int
) -> None:
    admin, _, org = await new_staff(app, "admin")
    receiver.secret = await register(client, admin, receiver.url)
    receiver.statuses = [503]
    await enqueue(app, org, intake_payload())
    async with app.state.sessionmaker.begin() as session:
        await session.execute(update(OutboxMessage).values(attempts=earlier_tries))
    app.state.outbox_channels["webhook"].max_attempts = 20

    assert await send_due(app) == 1

    # min(2**tries * 30 s, 1 h) after this try: 2**2 * 30 = 120 s, ..., 2**7 * 30 > 3600 s.
    delivery, tried = await delivery_and_last_try(app)
    assert (delivery.status, delivery.attempts) == ("pending", earlier_tries + 1)
    assert delivery.next_attempt_at - tried.attempted_at == timedelta(seconds=backoff)


async def delivery_and_last_try(app: FastAPI) -> tuple[OutboxMessage, OutboxAttempt]:
    """The one delivery and its latest try, as stored."""
    async with app.state.sessionmaker() as session:
        delivery = (await session.execute(select(OutboxMessage))).scalar_one()
        statement = select(OutboxAttempt).order_by(OutboxAttempt.attempted_at.desc())
        tried = (await session.execute(statement)).scalars().first()
    assert tried is not None
    return delivery, tried


async def test_an_unreachable_receiver_is_recorded_as_an_error(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin, _, org = await new_staff(app, "admin")
    await register(client, admin, "http://127.0.0.1:9/nothing-listens-here")
    await enqueue(app, org, intake_payload())

    assert await send_due(app) == 1

    async with app.state.sessionmaker() as session:
        attempt = (await session.execute(select(OutboxAttempt))).scalar_one()
    assert attempt.status_code is None
    assert attempt.error == "ConnectError"  # the kind of failure, not the OS's words


async def test_the_payload_carries_ids_and_flags_only(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    admin, _, org = await new_staff(app, "admin")
    receiver.secret = await register(client, admin, receiver.url)
    label = {"label": "Sam"}
    for forbidden in (label, {"email": "sam@example.org"}, {"answers": {"x": 1}}):
        with pytest.raises(ValueError, match="ids and flags only"):
            await enqueue(app, org, intake_payload() | forbidden)
    assert await count(app, "outbox_messages") == 0
    await enqueue(app, org, intake_payload())

    await send_due(app)

    event = json.loads(receiver.received[0]["body"])
    assert set(event) == {"id", "event", "created_at", "data"}
    assert set(event["data"]) == {
        "invitation_id",
        "client_id",
        "assessment_ids",
        "flags",
        "completed_at",
    }


async def test_the_outbox_follows_the_transaction_and_needs_a_webhook(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin, _, org = await new_staff(app, "admin")
    await enqueue(app, org, intake_payload())
    assert await count(app, "outbox_messages") == 0  # no webhook: nothing to send

    await register(client, admin, "https://clinic.example/hook")
    with pytest.raises(RuntimeError):
        await enqueue_then_fail(app, org)
    assert await count(app, "outbox_messages") == 0

    await enqueue(app, org, intake_payload())
    assert await count(app, "outbox_messages") == 1
    removed = await client.delete("/v1/organization/webhook", headers=admin)
    assert removed.status_code == 204
    listed = await client.get("/v1/organization/webhook/deliveries", headers=admin)
    assert [d["status"] for d in listed.json()["items"]] == ["failed"]


async def test_only_an_admin_registers_and_only_a_web_url(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin, _, org = await new_staff(app, "admin")
    therapist, _, _ = await new_staff(app, "therapist", org)

    bad = ("ftp://clinic.example/", "https://", "hook", "https://user:pw@clinic.example/")
    for url in bad:
        response = await client.put("/v1/organization/webhook", json={"url": url}, headers=admin)
        assert response.status_code == 422, url
        assert response.json()["errors"][0]["pointer"] == "#/url"
    refused = await client.put(
        "/v1/organization/webhook", json={"url": "https://clinic.example/"}, headers=therapist
    )
    assert refused.status_code == 403
    for path in ("/v1/organization/webhook/deliveries",):
        assert (await client.get(path, headers=therapist)).status_code == 403
    first = await register(client, admin, "http://localhost:8080/hook")
    second = await register(client, admin, "https://clinic.example/hook")
    assert first != second
    assert first.startswith("whsec_")


def test_a_signature_checks_secret_body_and_time() -> None:
    body = b'{"event":"intake.completed"}'
    sent = 1_800_000_000  # a fixed clock: the checks below never depend on when they run
    header = sign(SECRET, body, sent)

    assert verify_signature(SECRET, header, body, now=sent)
    message = f"{sent}.".encode() + body
    expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert header == f"t={sent},v1={expected}"
    assert not verify_signature("whsec_other", header, body, now=sent)
    assert not verify_signature(SECRET, header, body + b" ", now=sent)
    # Five minutes either way, inclusive.
    assert verify_signature(SECRET, header, body, now=sent + 300)
    assert verify_signature(SECRET, header, body, now=sent - 300)
    assert not verify_signature(SECRET, header, body, now=sent + 301)
    assert not verify_signature(SECRET, header, body, now=sent - 301)
    assert not verify_signature(SECRET, "v1=abc", body, now=sent)
    assert not verify_signature(SECRET, "", body, now=sent)
    assert verify_signature(SECRET, f"{header},v1=deadbeef", body, now=sent)


def test_a_signature_is_checked_against_the_current_time_by_default() -> None:
    body = b"{}"
    assert not verify_signature(SECRET, sign(SECRET, body, 1_000_000_000), body)  # 2001


async def test_the_background_sender_delivers_and_stops_with_the_app(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    admin, _, org = await new_staff(app, "admin")
    receiver.secret = await register(client, admin, receiver.url)
    await enqueue(app, org, intake_payload())
    polling = create_app(app.state.settings.model_copy(update={"outbox_poll_seconds": 0.05}))

    async with polling.router.lifespan_context(polling):
        first = await receiver.arrival()
        assert "attune-outbox" in {t.get_name() for t in asyncio.all_tasks()}
        # A round records every try before the next one claims: once a second event, enqueued
        # only now, has arrived too, the first one's try is stored. The second is left
        # unanswered, so the app stops while the sender waits on the network, not mid-write.
        receiver.hold = threading.Event()
        await enqueue(app, org, intake_payload())
        second = await receiver.arrival()
    assert "attune-outbox" not in {t.get_name() for t in asyncio.all_tasks()}
    listed = await client.get("/v1/organization/webhook/deliveries", headers=admin)
    statuses = {d["id"]: d["status"] for d in listed.json()["items"]}
    assert second != first
    # The first is delivered; the second, cut short, waits out its lease to be sent again.
    assert (statuses[first], statuses[second]) == ("delivered", "pending")
