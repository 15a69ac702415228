"""Request and response bodies of the clinic endpoints: clients, invitations, results, webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from app.assessments.schemas import AssessmentSource, Label, ResultRead
from app.questionnaires.model import SLUG

#: Deliberately loose: the address is the therapist's note, never mailed by Attune itself.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
InvitationStatus = TypeAliasType(
    "InvitationStatus", Literal["pending", "used", "expired", "revoked"]
)
DeliveryStatus = TypeAliasType("DeliveryStatus", Literal["pending", "delivered", "failed"])
EmailLanguage = TypeAliasType("EmailLanguage", Literal["en", "es"])


class Schema(BaseModel):
    """Base of API bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ClientCreate(Schema):
    """A new client: a label of the therapist's choosing, optionally an email."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)
    label: str = Field(min_length=1, max_length=200, examples=["J. (Tuesdays)"])
    email: str | None = Field(None, max_length=320, pattern=EMAIL)
    therapist_id: uuid.UUID | None = Field(
        None,
        strict=False,  # JSON has no UUID type: a string it is
        description="Admins only: the therapist of the organization who sees this client.",
    )


class ClientRead(Schema):
    """A client as their therapist sees them."""

    id: uuid.UUID
    label: str
    email: str | None
    email_opt_out: bool = Field(
        False, description="The client used the unsubscribe link: no emails are sent to them."
    )
    therapist_id: uuid.UUID
    created_at: datetime


class ClientPage(Schema):
    """A page of clients, newest first; pass `next_cursor` as `cursor` for the next."""

    items: list[ClientRead]
    next_cursor: str | None


class InvitationCreate(Schema):
    """Which questionnaires to send, for how long, and whether the client sees feedback."""

    model_config = ConfigDict(extra="forbid", strict=True)

    questionnaires: list[str] = Field(
        min_length=1, max_length=10, examples=[["window-of-tolerance", "connection"]]
    )
    expires_in_days: int = Field(7, ge=1, le=30, description="Days until the link stops working.")
    show_feedback: bool = Field(True, description="Feedback page after submit; else thank-you.")
    send_email: bool = Field(
        False,
        description="Also email the link to the client's address (the link is still shown "
        "once here); 422 when the client has no address or asked for no emails.",
    )
    language: EmailLanguage = Field(
        "en",
        description="The email's language, unless the client chose one on the intake form "
        "(theirs is used).",
    )
    remind_after_days: int | None = Field(
        None,
        ge=1,
        le=30,
        description="Email a reminder if it is not completed after this many days, then "
        "again every as many days (never at night in the organization's time zone); 422 when "
        "the client cannot be emailed.",
    )
    max_reminders: int = Field(2, ge=1, le=5, description="At most this many reminders.")


class InvitationSend(Schema):
    """Send a pending invitation again by email, with a new link (the old one stops working)."""

    language: EmailLanguage = Field(
        "en",
        description="The email's language, unless the client chose one on the intake form "
        "(theirs is used).",
    )


class EmailDeliveryRead(Schema):
    """The latest email about an invitation: waiting, delivered, or not delivered and why."""

    status: DeliveryStatus
    failure: str | None = Field(description="Why it was not delivered, when it failed.")
    sent_at: datetime | None


class QuestionnaireRef(Schema):
    """A questionnaire fixed at the version the link was made with."""

    id: str = Field(pattern=SLUG)
    version: str


class InvitationRead(Schema):
    """An invitation without its link: the token is never shown again."""

    id: uuid.UUID
    client_id: uuid.UUID
    questionnaires: list[QuestionnaireRef]
    show_feedback: bool
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    email: EmailDeliveryRead | None = Field(
        None, description="The latest email of this link, if it was sent by email."
    )


class InvitationCreated(InvitationRead):
    """A new invitation with its link and token, shown this once only."""

    url: str = Field(description="The intake link to send to the client (shown once).")
    token: str = Field(description="The token inside the link (shown once, stored hashed).")


class InvitationList(Schema):
    """A client's invitations, newest first."""

    items: list[InvitationRead]


class ClientResult(ResultRead):
    """A submitted assessment of a client: scores, bands, profile, flags, trace and feedback."""

    result_id: uuid.UUID
    source: AssessmentSource
    acknowledged_at: datetime | None


class ClientResultPage(Schema):
    """A page of a client's results, newest first."""

    items: list[ClientResult]
    next_cursor: str | None


class AttentionItem(Schema):
    """A flagged result nobody has acknowledged yet."""

    result_id: uuid.UUID
    assessment_id: uuid.UUID
    client_id: uuid.UUID
    client_label: str
    questionnaire_id: str
    questionnaire_version: str
    submitted_at: datetime
    profile: str | None
    flags: list[Label]


class AttentionPage(Schema):
    """Flagged results to look at, newest first."""

    items: list[AttentionItem]
    next_cursor: str | None


class Acknowledgement(Schema):
    """Who acknowledged a result, and when (the first acknowledgement counts)."""

    result_id: uuid.UUID
    acknowledged_at: datetime
    acknowledged_by: uuid.UUID | None


class WebhookUpdate(Schema):
    """Where to send events: https, or http to this machine for development."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = Field(max_length=2000, examples=["https://clinic.example/attune-events"])


class WebhookCreated(Schema):
    """The webhook and its signing secret, shown this once only."""

    url: str
    secret: str = Field(description="Verifies Attune-Signature; shown once, rotate with PUT.")


class WebhookAttemptRead(Schema):
    """One try at delivering an event."""

    attempted_at: datetime
    status_code: int | None
    error: str | None


class WebhookDeliveryRead(Schema):
    """An event and how its delivery went."""

    id: uuid.UUID
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    tries: list[WebhookAttemptRead]


class WebhookDeliveryList(Schema):
    """Recent deliveries, newest first."""

    items: list[WebhookDeliveryRead]


class ClientConsentRead(Schema):
    """A client's research consent after a withdrawal was recorded."""

    client_id: uuid.UUID
    research_consent: bool
    research_consent_at: datetime | None = Field(description="When the consent last changed.")


class ClientErasure(Schema):
    """What erasing a client deleted; the audit log keeps only that it happened, and counts."""

    client_id: uuid.UUID
    assessments: int
    results: int
    invitations: int
    outbox_messages: int = Field(
        description="Webhook events naming the client and emails about their invitations."
    )
