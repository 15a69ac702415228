"""A small world of two organizations, their staff and clients, and respondents.

Organization A holds the objects the access matrix attacks: therapist A's client, its
invitation (whose token is intake A), a flagged result of the client, a study, and the users.
Respondent A has an assessment in progress. Everyone else is an "other" principal: another
therapist of A, A's researcher, organization B's admin and therapist, respondent B, an intake
token of an invitation elsewhere, a token that is not one, and nobody.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from app.accounts.models import ADMIN, RESEARCHER, THERAPIST
from app.clinic.models import Client
from tests.clinic.conftest import FLAGGING, submit_for
from tests.conftest import new_respondent, new_staff
from tests.intake.links import make_link

#: Each principal's kind, as the role tables name them.
RESPONDENT = "respondent"
INTAKE = "intake"
NOBODY = "nobody"
KINDS = {
    "admin_a": ADMIN,
    "therapist_a": THERAPIST,
    "therapist_a2": THERAPIST,
    "researcher_a": RESEARCHER,
    "admin_b": ADMIN,
    "therapist_b": THERAPIST,
    "respondent_a": RESPONDENT,
    "respondent_b": RESPONDENT,
    "intake_a": INTAKE,
    "intake_elsewhere": INTAKE,
    "forged": NOBODY,
    "anonymous": NOBODY,
}
PRINCIPALS = tuple(KINDS)
CLIENT_LABEL = "Client Alpha (Thursdays)"
CLIENT_EMAIL = "alpha.client@example.org"


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    """Principals' headers and the ids of organization A's objects."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def secrets(self, *shown: str) -> list[str]:
        """What no refusal may contain: every id and the client's label and email.

        `shown` are the ids the request itself named (a problem may echo its own path).
        """
        return [v for v in self.ids.values() if v not in shown] + [CLIENT_LABEL, CLIENT_EMAIL]


async def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def _respondent_of(app: FastAPI, client_id: str) -> uuid.UUID:
    async with app.state.sessionmaker() as session:
        return (await session.get_one(Client, uuid.UUID(client_id))).respondent_id


async def build_world(app: FastAPI, client: httpx.AsyncClient) -> World:
    """Make the world over the API where it can, straight in the database where it must."""
    world = World()
    h = world.headers
    h["admin_a"], admin_a, org_a = await new_staff(app, ADMIN)
    h["therapist_a"], therapist_a, _ = await new_staff(app, THERAPIST, org_a)
    h["therapist_a2"], therapist_a2, _ = await new_staff(app, THERAPIST, org_a)
    h["researcher_a"], researcher_a, _ = await new_staff(app, RESEARCHER, org_a)
    h["admin_b"], admin_b, org_b = await new_staff(app, ADMIN)
    h["therapist_b"], therapist_b, _ = await new_staff(app, THERAPIST, org_b)
    h["respondent_a"] = await new_respondent(client)
    h["respondent_b"] = await new_respondent(client)
    h["intake_elsewhere"] = bearer((await make_link(app)).token)
    h["forged"] = bearer("atr_" + uuid.uuid4().hex)
    h["anonymous"] = {}

    patient = await _created(
        await client.post(
            "/v1/clients",
            json={"label": CLIENT_LABEL, "email": CLIENT_EMAIL},
            headers=h["therapist_a"],
        )
    )
    invitation = await _created(
        await client.post(
            f"/v1/clients/{patient['id']}/invitations",
            json={"questionnaires": ["three-item-loneliness"]},
            headers=h["therapist_a"],
        )
    )
    h["intake_a"] = bearer(invitation["token"])
    checkin = await _created(
        await client.post(
            f"/v1/clients/{patient['id']}/schedules",
            json={
                "questionnaires": ["three-item-loneliness"],
                "every": 2,
                "starts_at": "2030-01-01T09:00:00Z",
                "count": 3,
            },
            headers=h["therapist_a"],
        )
    )
    flagged_assessment, result = await submit_for(app, patient["id"], FLAGGING)
    intake_assessment = await _created(
        await client.post(
            "/v1/assessments",
            json={"questionnaire_id": "three-item-loneliness"},
            headers=h["intake_a"],
        )
    )
    own_assessment = await _created(
        await client.post(
            "/v1/assessments",
            json={"questionnaire_id": "window-of-tolerance"},
            headers=h["respondent_a"],
        )
    )
    study = await _created(
        await client.post(
            "/v1/research/studies", json={"name": "Study Alpha"}, headers=h["researcher_a"]
        )
    )
    world.ids.update(
        organization_a=str(org_a),
        organization_b=str(org_b),
        admin_a=str(admin_a),
        therapist_a=str(therapist_a),
        therapist_a2=str(therapist_a2),
        researcher_a=str(researcher_a),
        admin_b=str(admin_b),
        therapist_b=str(therapist_b),
        client=patient["id"],
        client_respondent=str(await _respondent_of(app, patient["id"])),
        invitation=invitation["id"],
        schedule=checkin["id"],
        result=result,
        flagged_assessment=flagged_assessment,
        intake_assessment=intake_assessment["id"],
        own_assessment=own_assessment["id"],
        study=study["id"],
    )
    return world
