"""Webhook events: POSTed as signed JSON to the organization's endpoint."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Organization
from app.clinic.encryption import UnreadableSecret, decrypt_secret
from app.clinic.targets import REFUSED, RefusedTarget
from app.clinic.webhooks import sign
from app.config import Settings
from app.outbox.worker import Job, Outcome


def event_body(job: Job) -> bytes:
    """The JSON envelope of an event, as signed and sent."""
    envelope = {
        "id": str(job.id),
        "event": job.kind,
        "created_at": job.created_at.isoformat(),
        "data": job.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


class WebhookChannel:
    """Sends events to the webhook registered when the try is made.

    `http` must come from `app.clinic.targets.webhook_client`, which checks and pins the
    target's address. A try's record says what kind of failure it was, never the target's
    own words (a refused target reads the same whatever its address: no port scanner).
    """

    name = "webhook"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        settings: Settings,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._http = http
        self._secret_key = settings.secret_key.get_secret_value()
        self.timeout = settings.webhook_timeout_seconds
        self.max_attempts = settings.webhook_max_attempts

    async def send(self, job: Job) -> Outcome:
        """POST the event, signed with the organization's current secret."""
        async with self._sessionmaker() as session:
            organization = await session.get(Organization, job.organization_id)
        if organization is None or not organization.webhook_url or not organization.webhook_secret:
            return Outcome(delivered=False, error="no webhook is registered", permanent=True)
        body = event_body(job)
        try:
            secret = decrypt_secret(self._secret_key, organization.webhook_secret)
        except UnreadableSecret:
            error = "the signing secret cannot be read: register the webhook again"
            return Outcome(delivered=False, error=error, permanent=True)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Attune-Webhooks/1",
            "Attune-Event": job.kind,
            "Attune-Delivery": str(job.id),
            "Attune-Signature": sign(secret, body, int(time.time())),
        }
        try:
            response = await self._http.post(
                organization.webhook_url,
                content=body,
                headers=headers,
                timeout=self.timeout,
            )
        except RefusedTarget:
            return Outcome(delivered=False, error=REFUSED)
        except (httpx.HTTPError, httpx.InvalidURL) as failure:
            return Outcome(delivered=False, error=type(failure).__name__)
        code = response.status_code
        return Outcome(delivered=200 <= code < 300, status_code=code)

    def settled(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Ids and flags only: kept, so the deliveries list can show them."""
        return payload
