"""Request and response bodies of /v1/auth and /v1/users. No body ever carries a hash."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from app.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Role = TypeAliasType("Role", Literal["admin", "therapist", "researcher"])
#: The languages staff emails are written in (app/mail/templates has each of them).
StaffLanguage = TypeAliasType("StaffLanguage", Literal["en", "es"])

# Deliberately loose: one "@" with something either side. Whether an address is real is
# for its owner to find out; stricter patterns refuse valid ones.
EMAIL_PATTERN = r"^\s*[^@\s]+@[^@\s]+\s*$"


class Schema(BaseModel):
    """Base of API bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class TokenRead(Schema):
    """A staff bearer token (RFC 6749 §5.1), shown this once."""

    access_token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int = Field(description="Seconds until the token expires.", examples=[43200])


class UserCreate(Schema):
    """A new staff member of the caller's organization."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(max_length=320, pattern=EMAIL_PATTERN, examples=["sam@clinic.example"])
    password: str = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters; stored only as argon2id.",
    )
    role: Role = Field(examples=["therapist"])


class UserUpdate(Schema):
    """A change of role or of active state; a field left out (or null) stays as it is."""

    model_config = ConfigDict(extra="forbid", strict=True)

    role: Role | None = None
    is_active: bool | None = Field(
        None, description="false logs the user out everywhere and refuses new logins."
    )


class PasswordChange(Schema):
    """Your current password and the new one."""

    model_config = ConfigDict(extra="forbid", strict=True)

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters; stored only as argon2id.",
    )


class PasswordResetRequest(Schema):
    """The email of the account whose password was forgotten."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(max_length=320, pattern=EMAIL_PATTERN, examples=["sam@clinic.example"])


class PasswordResetConfirm(Schema):
    """The token of a reset link and the new password."""

    model_config = ConfigDict(extra="forbid", strict=True)

    token: str = Field(min_length=1, max_length=200, description="The end of the emailed link.")
    new_password: str = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters; stored only as argon2id.",
    )


class Accepted(Schema):
    """A request was taken; what happens next is said in `detail`."""

    detail: str


class MeUpdate(Schema):
    """Your own preferences; a field left out (or null) stays as it is."""

    model_config = ConfigDict(extra="forbid", strict=True)

    notify_on_flag: bool | None = Field(
        None,
        description="true: an email (no details, only a link) when a result of one of your "
        "clients raises a flag.",
    )
    locale: StaffLanguage | None = Field(
        None,
        description="The language of the emails sent to you (a flagged result, a password "
        "reset). The console sets it to the language you choose there.",
    )


class UserRead(Schema):
    """A staff member as the API shows them."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    role: Role
    is_active: bool
    notify_on_flag: bool
    locale: StaffLanguage | None = Field(
        description="The language of your emails; null until chosen (English)."
    )
    created_at: datetime
    updated_at: datetime
