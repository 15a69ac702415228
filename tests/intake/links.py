"""Making intake links for tests: a therapist, a client and an invitation, straight in the DB.

Made with the models (not the clinic API) so these tests depend only on the intake; the token
is made and hashed the way the clinic makes it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.accounts.models import Organization, User
from app.clinic.models import Client, Invitation
from app.db import utcnow
from app.questionnaires.registry import Registry
from app.respondents.models import Respondent
from app.security import hash_token, new_token

#: The form's inputs as (item id, value) pairs, read from a rendered page.
RADIO = re.compile(r'<input type="radio" id="([^"]+)" name="answer-([^"]+)" value="(-?\d+)"')


@dataclass(frozen=True)
class Link:
    """An intake link: its token and the rows behind it."""

    token: str
    invitation_id: uuid.UUID
    client_id: uuid.UUID
    respondent_id: uuid.UUID
    organization_id: uuid.UUID

    @property
    def url(self) -> str:
        """The link's path."""
        return f"/intake/{self.token}"


#: each built-in questionnaire's default version, as an invitation made today would name it.
LATEST = {d.id: d.version for d in Registry.load().latest()}


async def make_link(
    engine: AsyncEngine | FastAPI,
    questionnaires: tuple[str, ...] = ("three-item-loneliness",),
    **invitation: Any,
) -> Link:
    """A live invitation for a new client of a new therapist in a new organization."""
    if isinstance(engine, FastAPI):
        engine = engine.state.engine
    token = new_token("ati")
    async with async_sessionmaker(engine, expire_on_commit=False).begin() as session:
        organization = Organization(name=f"Clinic {uuid.uuid4().hex[:6]}")
        session.add(organization)
        await session.flush()
        therapist = User(
            organization_id=organization.id,
            email=f"t-{uuid.uuid4().hex[:8]}@clinic.test",
            password_hash="!unusable",
            role="therapist",
        )
        respondent = Respondent(research_consent=False)
        session.add_all([therapist, respondent])
        await session.flush()
        client = Client(
            organization_id=organization.id,
            therapist_id=therapist.id,
            label="Client A",
            respondent_id=respondent.id,
        )
        session.add(client)
        await session.flush()
        row = Invitation(
            organization_id=organization.id,
            client_id=client.id,
            created_by=therapist.id,
            token_hash=hash_token(token),
            questionnaires=[{"id": q, "version": LATEST[q]} for q in questionnaires],
            expires_at=invitation.pop("expires_at", utcnow() + timedelta(days=7)),
            **invitation,
        )
        session.add(row)
    return Link(token, row.id, client.id, respondent.id, organization.id)


def radios(html: str) -> dict[str, list[int]]:
    """The options of each item on a page, in order."""
    items: dict[str, list[int]] = {}
    for _, item, value in RADIO.findall(html):
        items.setdefault(item, []).append(int(value))
    return items


def all_answers(html: str, position: int = 0) -> dict[str, str]:
    """Form fields answering every item on the page with the option at `position`."""
    return {f"answer-{item}": str(values[position]) for item, values in radios(html).items()}


async def answer_up_to_last_page(
    client: httpx.AsyncClient, link: Link, position: int = 0
) -> tuple[int, str]:
    """Answer every page but the last, as a person does (Save and continue on each).

    Returns the last page's number and HTML, which has the Send button.
    """
    step = 1
    while True:
        page = await client.get(f"{link.url}?step={step}")
        assert page.status_code == 200, page.text
        if 'name="action" value="submit"' in page.text:
            return step, page.text
        fields = {"step": str(step), "action": "next", **all_answers(page.text, position)}
        moved = await client.post(link.url, data=fields)
        assert moved.headers["location"] == f"{link.url}?step={step + 1}"
        step += 1
