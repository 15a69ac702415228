"""The console's form submissions: a double-submitted form creates nothing twice.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import app.db
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_submissions",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("form_submissions_user_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("form_submissions_pkey")),
        sa.UniqueConstraint("nonce", name=op.f("form_submissions_nonce_key")),
    )
    op.create_index(
        op.f("form_submissions_created_at_idx"), "form_submissions", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("form_submissions_created_at_idx"), table_name="form_submissions")
    op.drop_table("form_submissions")
