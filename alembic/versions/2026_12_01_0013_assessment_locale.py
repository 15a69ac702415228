"""The language an assessment's client was shown it in: `assessments.locale`.

The intake form records it when it sends the answers, so the staff console shows the
feedback exactly as the client saw it (the client's language, not the therapist's). Null
for answers given before this, or through an app (which reads its results in the language
of each request).

Revision ID: 0013_assessment_locale
Revises: 0012_intake_language
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013_assessment_locale"
down_revision: str | None = "0012_intake_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("locale")
