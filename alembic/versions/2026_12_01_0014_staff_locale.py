"""The staff member's language: `users.locale`, for the emails sent to them.

Set from the console's language choice when they sign in or switch, or with
`PATCH /v1/auth/me`. Null until then (every account made before this): their emails are in
English, as they all were.

Revision ID: 0014_staff_locale
Revises: 0013_assessment_locale
Create Date: 2026-12-01 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014_staff_locale"
down_revision: str | None = "0013_assessment_locale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale")
